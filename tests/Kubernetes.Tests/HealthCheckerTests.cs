using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

public sealed class HealthCheckerTests
{
    public static TheoryData<string, string, HealthStatus, string> Cases => new()
    {
        { "deployment ready", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a","generation":2},"spec":{"replicas":3},"status":{"observedGeneration":2,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,"conditions":[{"type":"Available","status":"True"}]}}""", HealthStatus.Current, "3 of 3 replicas ready" },
        { "deployment old generation", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a","generation":3},"spec":{"replicas":3},"status":{"observedGeneration":2,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3}}""", HealthStatus.InProgress, "generation 3 not yet observed" },
        { "deployment rolling", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a"},"spec":{"replicas":3},"status":{"replicas":3,"updatedReplicas":1,"readyReplicas":3,"availableReplicas":3}}""", HealthStatus.InProgress, "1 of 3 replicas updated" },
        { "deployment deadline", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a"},"spec":{"replicas":3},"status":{"conditions":[{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded","message":"ReplicaSet web-1 has timed out"}]}}""", HealthStatus.Failed, "progress deadline exceeded" },
        { "deployment no status", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a"},"spec":{"replicas":1}}""", HealthStatus.InProgress, "no status" },
        { "statefulset revision", """{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"a"},"spec":{"replicas":2},"status":{"readyReplicas":2,"currentReplicas":2,"updatedReplicas":1,"currentRevision":"db-1","updateRevision":"db-2"}}""", HealthStatus.InProgress, "rolling update" },
        { "statefulset ready", """{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"a"},"spec":{"replicas":2},"status":{"readyReplicas":2,"currentReplicas":2,"updatedReplicas":2,"currentRevision":"db-2","updateRevision":"db-2"}}""", HealthStatus.Current, "2 of 2" },
        { "daemonset scheduling", """{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"a"},"status":{"desiredNumberScheduled":5,"currentNumberScheduled":4,"updatedNumberScheduled":4,"numberAvailable":4,"numberReady":4}}""", HealthStatus.InProgress, "4 of 5 pods scheduled" },
        { "daemonset ready", """{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"a"},"status":{"desiredNumberScheduled":5,"currentNumberScheduled":5,"updatedNumberScheduled":5,"numberAvailable":5,"numberReady":5}}""", HealthStatus.Current, "5 of 5" },
        { "replicaset short", """{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"rs","namespace":"a"},"spec":{"replicas":2},"status":{"readyReplicas":1,"availableReplicas":1}}""", HealthStatus.InProgress, "1 of 2" },
        { "job complete", """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"a"},"status":{"conditions":[{"type":"Complete","status":"True"}]}}""", HealthStatus.Current, "job complete" },
        { "job failed", """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"a"},"status":{"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}}""", HealthStatus.Failed, "BackoffLimitExceeded" },
        { "job running", """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"a"},"spec":{"completions":3},"status":{"succeeded":1}}""", HealthStatus.InProgress, "1 of 3 completions" },
        { "pvc pending", """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"a"},"status":{"phase":"Pending"}}""", HealthStatus.InProgress, "not bound" },
        { "pvc bound", """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"a"},"status":{"phase":"Bound"}}""", HealthStatus.Current, "bound" },
        { "lb pending", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"edge","namespace":"a"},"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{}}}""", HealthStatus.InProgress, "ingress not assigned" },
        { "lb assigned", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"edge","namespace":"a"},"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}}""", HealthStatus.Current, "ready" },
        { "clusterip", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"a"},"spec":{"type":"ClusterIP"}}""", HealthStatus.Current, "ready" },
        { "namespace terminating", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"},"status":{"phase":"Terminating"}}""", HealthStatus.InProgress, "terminating" },
        { "namespace active", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"},"status":{"phase":"Active"}}""", HealthStatus.Current, "exists" },
        { "crd established", """{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},"status":{"conditions":[{"type":"NamesAccepted","status":"True"},{"type":"Established","status":"True"}]}}""", HealthStatus.Current, "established" },
        { "crd names rejected", """{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},"status":{"conditions":[{"type":"NamesAccepted","status":"False","message":"plural taken"}]}}""", HealthStatus.Failed, "plural taken" },
        { "crd pending", """{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"}}""", HealthStatus.InProgress, "not established" },
        { "custom ready", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"a","generation":1},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True"}]}}""", HealthStatus.Current, "Ready" },
        { "custom not ready", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"a"},"status":{"conditions":[{"type":"Ready","status":"False","reason":"Waiting","message":"for a bucket"}]}}""", HealthStatus.InProgress, "Ready is False: Waiting for a bucket" },
        { "custom stalled", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"a"},"status":{"conditions":[{"type":"Stalled","status":"True","message":"bad spec"}]}}""", HealthStatus.Failed, "stalled: bad spec" },
        { "custom available", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"a"},"status":{"conditions":[{"type":"Available","status":"True"}]}}""", HealthStatus.Current, "Available" },
        { "configmap", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"a"},"data":{"k":"v"}}""", HealthStatus.Current, "exists" },
        { "deleting", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"a","deletionTimestamp":"2026-01-01T00:00:00Z"}}""", HealthStatus.InProgress, "being deleted" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_FollowsKstatusRules(string name, string json, HealthStatus expected, string message)
    {
        var result = HealthChecker.Evaluate(JsonNode.Parse(json)!.AsObject());
        Assert.True(expected == result.Status, $"{name}: expected {expected}, got {result.Status} ({result.Message})");
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
        Assert.StartsWith(result.Object.ToString(), result.Message, StringComparison.Ordinal);
    }
}
