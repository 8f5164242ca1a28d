namespace Fleet.KubeSim.Store;

/// <summary>The resources every virtual cluster serves before any CRD is added.</summary>
internal static class BuiltinResources
{
    public static readonly IReadOnlyList<ResourceType> All = Build();

    public static readonly ResourceType Namespaces = Find("", "namespaces");
    public static readonly ResourceType Deployments = Find("apps", "deployments");
    public static readonly ResourceType StatefulSets = Find("apps", "statefulsets");
    public static readonly ResourceType DaemonSets = Find("apps", "daemonsets");
    public static readonly ResourceType ReplicaSets = Find("apps", "replicasets");
    public static readonly ResourceType Jobs = Find("batch", "jobs");
    public static readonly ResourceType Services = Find("", "services");
    public static readonly ResourceType ServiceAccounts = Find("", "serviceaccounts");
    public static readonly ResourceType Crds = Find("apiextensions.k8s.io", "customresourcedefinitions");

    /// <summary>The group versions in the order kube-apiserver lists them in <c>/apis</c>.</summary>
    public static readonly IReadOnlyList<string> GroupOrder =
    [
        "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
        "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
        "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io",
        "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
    ];

    private static ResourceType Find(string group, string plural) =>
        All.First(r => r.Group == group && r.Plural == plural);

    private static List<ResourceType> Build()
    {
        string[] none = [];
        string[] all = ["all"];
        return
        [
            new("", "v1", "configmaps", "configmap", "ConfigMap", true, ["cm"], none, false, false),
            new("", "v1", "endpoints", "endpoints", "Endpoints", true, ["ep"], none, false, false),
            new("", "v1", "events", "event", "Event", true, ["ev"], none, false, false),
            new("", "v1", "limitranges", "limitrange", "LimitRange", true, ["limits"], none, false, false),
            new("", "v1", "namespaces", "namespace", "Namespace", false, ["ns"], none, true, false),
            new("", "v1", "nodes", "node", "Node", false, ["no"], none, true, false),
            new("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, ["pvc"], none, true, false),
            new("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, ["pv"], none, true, false),
            new("", "v1", "pods", "pod", "Pod", true, ["po"], all, true, false),
            new("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, ["quota"], none, true, false),
            new("", "v1", "secrets", "secret", "Secret", true, none, none, false, false),
            new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"], none, false, false),
            new("", "v1", "services", "service", "Service", true, ["svc"], all, true, false),
            new("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, none, none, false, false),
            new("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, ["ds"], all, true, true),
            new("apps", "v1", "deployments", "deployment", "Deployment", true, ["deploy"], all, true, true),
            new("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, ["rs"], all, true, true),
            new("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, ["sts"], all, true, true),
            new("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, ["hpa"], all, true, false),
            new("batch", "v1", "cronjobs", "cronjob", "CronJob", true, ["cj"], all, true, true),
            new("batch", "v1", "jobs", "job", "Job", true, none, all, true, true),
            new("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, none, none, false, true),
            new("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, ["ing"], none, true, true),
            new("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, ["netpol"], none, false, true),
            new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, ["pdb"], none, true, true),
            new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, none, none, false, false),
            new("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, ["sc"], none, false, false),
            new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, none, none, false, false),
            new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, ["crd", "crds"], none, true, true),
        ];
    }
}
