import os, shutil, textwrap, json
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)) if False else '.', 'cases')
cases = {}
def case(name, files, error=None):
    assert name not in cases, name
    cases[name] = (files, error)

DEP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
"""
SVC = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
"""
CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  key: value
"""
SA = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
"""
NS = """apiVersion: v1
kind: Namespace
metadata:
  name: apps
"""
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
"""
WIDGET = """apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
spec:
  size: 3
  parts:
  - name: a
    count: 1
  - name: b
    count: 2
"""
STS = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: db
        image: postgres:16
        volumeMounts:
        - name: data
          mountPath: /var/lib/postgresql
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fast
      resources:
        requests:
          storage: 1Gi
"""
CRON = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: busybox:1.36
            envFrom:
            - configMapRef:
                name: settings
"""
JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.36
"""
DS = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: agent:2.0
"""
ING = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  tls:
  - hosts: [web.example.com]
    secretName: tls
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
"""
RBAC = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: viewer
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: viewer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: viewer
subjects:
- kind: ServiceAccount
  name: runner
  namespace: default
"""
PVC = """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: fast
  resources:
    requests:
      storage: 1Gi
"""
POD_VOL = """apiVersion: v1
kind: Pod
metadata:
  name: tool
spec:
  serviceAccountName: runner
  containers:
  - name: tool
    image: busybox
    env:
    - name: KEY
      valueFrom:
        configMapKeyRef:
          name: settings
          key: key
    - name: PASS
      valueFrom:
        secretKeyRef:
          name: creds
          key: password
  volumes:
  - name: cfg
    configMap:
      name: settings
  - name: sec
    secret:
      secretName: creds
  - name: data
    persistentVolumeClaim:
      claimName: data
  - name: proj
    projected:
      sources:
      - configMap:
          name: settings
      - secret:
          name: creds
"""
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 1
  maxReplicas: 5
"""
PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
"""
NETPOL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: client
"""
WEBHOOK = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: checks
webhooks:
- name: check.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service:
      name: web
      namespace: default
"""
def K(s): return textwrap.dedent(s).lstrip()

# ---------- resources ----------
case('resources-single-file', {'kustomization.yaml': 'resources:\n- deploy.yaml\n', 'deploy.yaml': DEP})
case('resources-multi-doc', {'kustomization.yaml': 'resources:\n- all.yaml\n', 'all.yaml': DEP + '---\n' + SVC + '---\n' + CM})
case('resources-multiple-files', {'kustomization.yaml': 'resources:\n- svc.yaml\n- deploy.yaml\n- cm.yaml\n', 'deploy.yaml': DEP, 'svc.yaml': SVC, 'cm.yaml': CM})
case('resources-list-kind', {'kustomization.yaml': 'resources:\n- list.yaml\n', 'list.yaml': 'apiVersion: v1\nkind: List\nitems:\n- ' + CM.replace('\n', '\n  ').rstrip() + '\n- ' + SA.replace('\n','\n  ').rstrip() + '\n'})
case('resources-empty-docs', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': '---\n' + CM + '---\n---\n' + SA + '---\n'})
case('resources-nested-dirs', {'kustomization.yaml': 'resources:\n- app\n- cm.yaml\n', 'cm.yaml': CM, 'app/kustomization.yaml': 'resources:\n- deploy.yaml\n- svc.yaml\n', 'app/deploy.yaml': DEP, 'app/svc.yaml': SVC})
case('resources-base-overlay', {'base/kustomization.yaml': 'resources:\n- deploy.yaml\n', 'base/deploy.yaml': DEP, 'overlay/kustomization.yaml': 'resources:\n- ../base\nnamePrefix: prod-\n'}, )
case('resources-bases-field', {'kustomization.yaml': 'bases:\n- base\n', 'base/kustomization.yaml': 'resources:\n- cm.yaml\n', 'base/cm.yaml': CM})
case('resources-kustomization-yml', {'kustomization.yml': 'resources:\n- cm.yaml\n', 'cm.yaml': CM})
case('resources-Kustomization-name', {'Kustomization': 'resources:\n- cm.yaml\n', 'cm.yaml': CM})
case('resources-with-apiversion-kind', {'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- cm.yaml\n', 'cm.yaml': CM})
case('resources-two-bases', {'kustomization.yaml': 'resources:\n- a\n- b\n', 'a/kustomization.yaml': 'namePrefix: a-\nresources:\n- ../cm.yaml\n'.replace('../cm.yaml','cm.yaml'), 'a/cm.yaml': CM, 'b/kustomization.yaml': 'namePrefix: b-\nresources:\n- cm.yaml\n', 'b/cm.yaml': CM})
case('resources-diamond-namespaces', {'kustomization.yaml': 'resources:\n- a\n- b\n', 'base/kustomization.yaml': 'resources:\n- cm.yaml\n', 'base/cm.yaml': CM, 'a/kustomization.yaml': 'namespace: a\nresources:\n- ../base\n', 'b/kustomization.yaml': 'namespace: b\nresources:\n- ../base\n'})
case('resources-anchors-aliases', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchored\n  labels: &l\n    app: x\n  annotations: *l\ndata:\n  a: &v hello\n  b: *v\n'})
case('resources-scalars', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\ndata:\n  yes: "yes"\n  num: "42"\n  float: "1.5"\n  empty: ""\n  multi: |\n    line one\n    line two\n  folded: >\n    folded text\n    continues\n  quoted: \'single \'\'quoted\'\'\'\n  colon: "a: b"\n  hash: "a #b"\n'})
case('resources-numbers-bools', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: types\nspec:\n  int: 3\n  neg: -7\n  float: 2.5\n  exp: 1e3\n  t: true\n  f: false\n  n: null\n  tilde: ~\n  str: "3"\n  list: [1, two, 3.0]\n  empty: {}\n  emptyList: []\n'})
case('resources-unicode', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unicode\ndata:\n  greeting: "héllo wörld ✓"\n  jp: こんにちは\n'})
case('resources-generate-name-error', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\ndata: {}\n'}, error='name')

# ---------- ordering ----------
ALLKINDS = '---\n'.join([WEBHOOK, DEP, SVC, CM, SA, NS, CRD, RBAC, PVC, STS, CRON, JOB, DS, ING, PDB, NETPOL, HPA, WIDGET])
case('order-legacy-default', {'kustomization.yaml': 'resources:\n- all.yaml\n', 'all.yaml': ALLKINDS})
case('order-fifo', {'kustomization.yaml': 'sortOptions:\n  order: fifo\nresources:\n- all.yaml\n', 'all.yaml': ALLKINDS})
case('order-legacy-explicit', {'kustomization.yaml': 'sortOptions:\n  order: legacy\nresources:\n- all.yaml\n', 'all.yaml': ALLKINDS})
case('order-legacy-custom', {'kustomization.yaml': 'sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Service, Deployment]\n    orderLast: [ConfigMap]\nresources:\n- all.yaml\n', 'all.yaml': DEP+'---\n'+SVC+'---\n'+CM+'---\n'+SA})
case('order-names-namespaces', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': ''.join(f'---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n' + (f'  namespace: {ns}\n' if ns else '') for n, ns in [('b','z'),('a','z'),('c',''),('a',''),('b','a'),('z','m')])})
case('order-unknown-kinds', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': ''.join(f'---\napiVersion: {av}\nkind: {k}\nmetadata:\n  name: x\n' for av, k in [('v2','Foo'),('x.io/v1','Foo'),('apps/v1','Bar'),('v1','Zed'),('a.io/v1beta1','Foo'),('v1','Pod')])})
case('order-fifo-nested', {'kustomization.yaml': 'sortOptions:\n  order: fifo\nresources:\n- base\n- svc.yaml\n', 'svc.yaml': SVC, 'base/kustomization.yaml': 'resources:\n- deploy.yaml\n- cm.yaml\n', 'base/deploy.yaml': DEP, 'base/cm.yaml': CM})

# ---------- namespace ----------
case('namespace-basic', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC + '---\n' + CM})
case('namespace-overrides-existing', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  namespace: other')})
case('namespace-cluster-scoped-untouched', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': CRD + '---\n' + RBAC})
case('namespace-renames-namespace-object', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': NS + '---\n' + CM})
case('namespace-rolebinding-subjects', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': SA + '---\n' + RBAC})
case('namespace-webhook-service', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': WEBHOOK + '---\n' + SVC})
case('namespace-overlay-over-base', {'kustomization.yaml': 'namespace: outer\nresources:\n- base\n', 'base/kustomization.yaml': 'namespace: inner\nresources:\n- cm.yaml\n', 'base/cm.yaml': CM})
case('namespace-custom-resource', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': CRD + '---\n' + WIDGET})
case('namespace-conflict-error', {'kustomization.yaml': 'namespace: team\nresources:\n- r.yaml\n', 'r.yaml': CM + '---\n' + CM.replace('name: settings', 'name: settings\n  namespace: other')}, error='conflict')

# ---------- prefix / suffix ----------
case('prefix-basic', {'kustomization.yaml': 'namePrefix: dev-\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('suffix-basic', {'kustomization.yaml': 'nameSuffix: -v2\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('prefix-suffix-both', {'kustomization.yaml': 'namePrefix: a-\nnameSuffix: -z\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + CM})
case('prefix-skips-crd-namespace', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': CRD + '---\n' + NS + '---\n' + WIDGET})
case('prefix-stacked-overlays', {'kustomization.yaml': 'namePrefix: outer-\nresources:\n- mid\n', 'mid/kustomization.yaml': 'namePrefix: mid-\nresources:\n- ../base\n', 'base/kustomization.yaml': 'namePrefix: base-\nresources:\n- cm.yaml\n', 'base/cm.yaml': CM}, error='outside') if False else None
case('prefix-stacked', {'kustomization.yaml': 'namePrefix: outer-\nresources:\n- mid\n', 'mid/kustomization.yaml': 'namePrefix: mid-\nresources:\n- base\n', 'mid/base/kustomization.yaml': 'namePrefix: base-\nnameSuffix: -b\nresources:\n- cm.yaml\n', 'mid/base/cm.yaml': CM})
case('prefix-nameref-service-ingress', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': SVC + '---\n' + ING})
case('prefix-nameref-configmap-pod', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': POD_VOL + '---\n' + CM + '---\n' + SA + '---\n' + PVC + '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\ndata:\n  password: cGFzcw==\n'})
case('prefix-nameref-rbac', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': SA + '---\n' + RBAC})
case('prefix-nameref-hpa', {'kustomization.yaml': 'nameSuffix: -x\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + HPA})
case('prefix-nameref-statefulset-service', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': STS + '---\n' + SVC.replace('name: web', 'name: db')})
case('prefix-nameref-cronjob', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': CRON + '---\n' + CM})
case('prefix-nameref-webhook', {'kustomization.yaml': 'namePrefix: p-\nnamespace: sys\nresources:\n- r.yaml\n', 'r.yaml': WEBHOOK + '---\n' + SVC})
case('prefix-nameref-pvc-storageclass', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': PVC + '---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: x\n---\n' + STS})
case('prefix-nameref-across-levels', {'kustomization.yaml': 'namePrefix: top-\nresources:\n- base\n- svc.yaml\n', 'svc.yaml': ING, 'base/kustomization.yaml': 'namePrefix: b-\nresources:\n- svc.yaml\n', 'base/svc.yaml': SVC})

# ---------- labels ----------
case('commonlabels-deployment', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': DEP})
case('commonlabels-service-selector', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': SVC})
case('commonlabels-statefulset', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': STS})
case('commonlabels-job-cronjob', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': JOB + '---\n' + CRON})
case('commonlabels-daemonset', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': DS})
case('commonlabels-pdb-netpol', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': PDB + '---\n' + NETPOL})
case('commonlabels-custom-resource', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': WIDGET})
case('commonlabels-multiple', {'kustomization.yaml': 'commonLabels:\n  team: core\n  tier: "1"\n  app: override\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('commonlabels-nested', {'kustomization.yaml': 'commonLabels:\n  outer: o\nresources:\n- base\n', 'base/kustomization.yaml': 'commonLabels:\n  inner: i\nresources:\n- r.yaml\n', 'base/r.yaml': DEP})
case('labels-pairs-only', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('labels-include-selectors', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\n  includeSelectors: true\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('labels-include-templates', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\n  includeTemplates: true\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC + '---\n' + CRON + '---\n' + JOB})
case('labels-multiple-entries', {'kustomization.yaml': 'labels:\n- pairs:\n    a: "1"\n- pairs:\n    b: "2"\n  includeSelectors: true\nresources:\n- r.yaml\n', 'r.yaml': DEP})
case('labels-and-commonlabels', {'kustomization.yaml': 'commonLabels:\n  c: common\nlabels:\n- pairs:\n    l: label\nresources:\n- r.yaml\n', 'r.yaml': DEP})
case('labels-templates-statefulset', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\n  includeTemplates: true\nresources:\n- r.yaml\n', 'r.yaml': STS + '---\n' + DS})
case('labels-selectors-pdb', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\n  includeSelectors: true\nresources:\n- r.yaml\n', 'r.yaml': PDB + '---\n' + NETPOL + '---\n' + JOB})

# ---------- annotations ----------
case('annotations-basic', {'kustomization.yaml': 'commonAnnotations:\n  owner: team-a\nresources:\n- r.yaml\n', 'r.yaml': DEP + '---\n' + SVC})
case('annotations-templates', {'kustomization.yaml': 'commonAnnotations:\n  owner: team-a\nresources:\n- r.yaml\n', 'r.yaml': CRON + '---\n' + JOB + '---\n' + STS + '---\n' + DS})
case('annotations-multiline-value', {'kustomization.yaml': 'commonAnnotations:\n  note: |\n    line one\n    line two\nresources:\n- r.yaml\n', 'r.yaml': CM})
case('annotations-override', {'kustomization.yaml': 'commonAnnotations:\n  owner: new\nresources:\n- r.yaml\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  annotations:\n    owner: old\n    keep: me')})
case('annotations-nested', {'kustomization.yaml': 'commonAnnotations:\n  outer: o\nresources:\n- base\n', 'base/kustomization.yaml': 'commonAnnotations:\n  inner: i\nresources:\n- cm.yaml\n', 'base/cm.yaml': CM})
case('annotations-special-values', {'kustomization.yaml': 'commonAnnotations:\n  a: "true"\n  b: "123"\n  c: "x: y"\nresources:\n- r.yaml\n', 'r.yaml': CM})

# ---------- patches: strategic merge ----------
case('smp-file-replicas', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: patch.yaml\n', 'r.yaml': DEP, 'patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n'})
case('smp-inline', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      replicas: 5\n', 'r.yaml': DEP})
case('smp-container-merge-by-name', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.26\n        resources:\n          limits:\n            cpu: 500m\n'})
case('smp-add-container', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        image: envoy:1.0\n'})
case('smp-env-merge', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env:\n        - name: MODE\n          value: debug\n        - name: EXTRA\n          value: "1"\n'})
case('smp-delete-container', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP.replace('      containers:\n', '      containers:\n      - name: side\n        image: side:1\n'), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: side\n        $patch: delete\n'})
case('smp-replace-map', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    $patch: replace\n    only: this\n'})
case('smp-replace-list', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - $patch: replace\n      - name: other\n        image: other:1\n'})
case('smp-delete-resource', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP + '---\n' + SVC, 'p.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n$patch: delete\n'})
case('smp-null-deletes-key', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: null\nspec:\n  replicas: null\n'})
case('smp-volumes-mounts', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': STS, 'p.yaml': 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      containers:\n      - name: db\n        volumeMounts:\n        - name: cfg\n          mountPath: /etc/cfg\n      volumes:\n      - name: cfg\n        configMap:\n          name: settings\n'})
case('smp-ports-merge', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        ports:\n        - containerPort: 80\n          name: http\n        - containerPort: 9090\n          name: metrics\n'})
case('smp-service-ports', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': SVC, 'p.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30080\n  - port: 443\n    targetPort: 8443\n'})
case('smp-tolerations-replace', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP.replace('      containers:', '      tolerations:\n      - key: a\n        operator: Exists\n      containers:'), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      tolerations:\n      - key: b\n        operator: Exists\n'})
case('smp-args-replace', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP.replace('        image: nginx:1.25\n', '        image: nginx:1.25\n        args: [a, b]\n'), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        args: [c]\n'})
case('smp-custom-resource-list-replace', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': WIDGET, 'p.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gizmo\nspec:\n  size: 4\n  parts:\n  - name: c\n    count: 9\n'})
case('smp-multi-doc-patch-file', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP + '---\n' + SVC, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n'})
case('smp-with-target-labelselector', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: Deployment\n    labelSelector: app=web\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: ignored\n    spec:\n      replicas: 7\n', 'r.yaml': DEP + '---\n' + DEP.replace('name: web\n  labels:\n    app: web', 'name: api\n  labels:\n    app: api')})
case('smp-target-name-regex', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n    name: "cfg-.*"\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: any\n    data:\n      added: "yes"\n', 'r.yaml': ''.join(f'---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: v\n' for n in ['cfg-a', 'cfg-b', 'other'])})
case('smp-target-annotation-selector', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    annotationSelector: patch=me\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: any\n      labels:\n        patched: "true"\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  annotations:\n    patch: me') + '---\n' + CM.replace('settings', 'other')})
case('smp-after-prefix-original-name', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- base\npatches:\n- path: p.yaml\n', 'base/kustomization.yaml': 'namePrefix: b-\nresources:\n- cm.yaml\n', 'base/cm.yaml': CM, 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  patched: "1"\n'})
case('smp-patchesStrategicMerge-file', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesStrategicMerge:\n- p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 9\n'})
case('smp-patchesStrategicMerge-inline', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesStrategicMerge:\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    replicas: 4\n', 'r.yaml': DEP})
case('smp-namespaced-match', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  namespace: a') + '---\n' + CM.replace('name: settings', 'name: settings\n  namespace: b'), 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: b\ndata:\n  key: patched\n'})
case('smp-no-match-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: missing\nspec:\n  replicas: 3\n'}, error='missing')
case('smp-initcontainers', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: init\n        image: busybox\n'})
case('smp-imagepullsecrets', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': DEP.replace('      containers:', '      imagePullSecrets:\n      - name: a\n      containers:'), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n      - name: b\n'})
case('smp-finalizers-merge', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  finalizers: [a]'), 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  finalizers: [b]\n'})

# ---------- patches: json6902 ----------
case('json6902-inline-replace', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: Deployment\n    name: web\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 6\n', 'r.yaml': DEP})
case('json6902-add-remove', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value:\n        a: b\n    - op: remove\n      path: /spec/template/spec/containers/0/env\n    - op: add\n      path: /spec/template/spec/containers/0/args\n      value: [--x]\n    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: --y\n', 'r.yaml': DEP})
case('json6902-file-yaml', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: ops.yaml\n  target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: web\n', 'r.yaml': DEP, 'ops.yaml': '- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: nginx:latest\n'})
case('json6902-file-json', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: ops.json\n  target:\n    kind: Service\n', 'r.yaml': SVC, 'ops.json': '[{"op": "add", "path": "/spec/type", "value": "LoadBalancer"}, {"op": "copy", "from": "/spec/ports/0/port", "path": "/spec/ports/0/nodePort"}]\n'})
case('json6902-move-test', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: test\n      path: /data/key\n      value: value\n    - op: move\n      from: /data/key\n      path: /data/moved\n', 'r.yaml': CM})
case('json6902-escaped-pointer', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {}\n    - op: add\n      path: /metadata/annotations/example.com~1owner\n      value: me\n    - op: add\n      path: /data/tilde~0key\n      value: t\n', 'r.yaml': CM})
case('json6902-legacy-field', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesJson6902:\n- target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: web\n  path: ops.yaml\n', 'r.yaml': DEP, 'ops.yaml': '- op: replace\n  path: /spec/replicas\n  value: 2\n'})
case('json6902-legacy-inline', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesJson6902:\n- target:\n    version: v1\n    kind: Service\n    name: web\n  patch: |-\n    - op: add\n      path: /spec/clusterIP\n      value: None\n', 'r.yaml': SVC})
case('json6902-target-namespace', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n    namespace: b\n  patch: |-\n    - op: replace\n      path: /data/key\n      value: only-b\n', 'r.yaml': CM.replace('name: settings', 'name: settings\n  namespace: a') + '---\n' + CM.replace('name: settings', 'name: settings\n  namespace: b')})
case('json6902-target-version-group', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    group: example.com\n    version: v1\n  patch: |-\n    - op: replace\n      path: /spec/size\n      value: 10\n', 'r.yaml': WIDGET + '---\n' + CM})
case('json6902-replace-missing-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: replace\n      path: /data/absent/deep\n      value: x\n', 'r.yaml': CM}, error='absent')
case('json6902-test-fail-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: test\n      path: /data/key\n      value: other\n', 'r.yaml': CM}, error='test')
case('json6902-no-target-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- patch: |-\n    - op: replace\n      path: /data/key\n      value: x\n', 'r.yaml': CM}, error='target')
case('json6902-array-index', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    kind: Widget\n  patch: |-\n    - op: replace\n      path: /spec/parts/1/count\n      value: 20\n    - op: add\n      path: /spec/parts/0\n      value: {name: z, count: 0}\n', 'r.yaml': WIDGET})
case('patches-mixed-order', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesJson6902:\n- target: {kind: Deployment, name: web, group: apps, version: v1}\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 100\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      replicas: 50\n', 'r.yaml': DEP})
case('patches-target-all-kinds', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    name: web\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value:\n        patched: "yes"\n', 'r.yaml': DEP + '---\n' + SVC})
case('patches-invalid-yaml-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n', 'r.yaml': CM, 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n data: [unclosed\n'}, error='p.yaml')
case('patches-missing-file-error', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: nope.yaml\n', 'r.yaml': CM}, error='nope.yaml')

# ---------- images ----------
case('images-newtag', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newTag: "1.27"\n', 'r.yaml': DEP})
case('images-newname', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newName: registry.example.com/nginx\n', 'r.yaml': DEP})
case('images-newname-newtag', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newName: mirror/nginx\n  newTag: stable\n', 'r.yaml': DEP})
case('images-digest', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  digest: sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3\n', 'r.yaml': DEP})
case('images-initcontainers-cronjob', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: busybox\n  newTag: "1.37"\n', 'r.yaml': CRON + '---\n' + JOB + '---\n' + DEP.replace('      containers:', '      initContainers:\n      - name: init\n        image: busybox\n      containers:')})
case('images-registry-port', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: localhost:5000/app\n  newTag: v2\n', 'r.yaml': DEP.replace('nginx:1.25', 'localhost:5000/app:v1')})
case('images-no-match', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: redis\n  newTag: "7"\n', 'r.yaml': DEP})
case('images-pod-and-statefulset', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: postgres\n  newName: pg\n- name: busybox\n  newTag: latest\n', 'r.yaml': STS + '---\n' + POD_VOL})
case('images-custom-resource-containers', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newTag: cr\n', 'r.yaml': 'apiVersion: example.com/v1\nkind: Runner\nmetadata:\n  name: r\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n'})
case('images-numeric-tag', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newTag: "2"\n', 'r.yaml': DEP})
case('images-overlay-stack', {'kustomization.yaml': 'resources:\n- base\nimages:\n- name: mirror/nginx\n  newTag: final\n', 'base/kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newName: mirror/nginx\n', 'base/r.yaml': DEP})

# ---------- replicas ----------
case('replicas-deployment', {'kustomization.yaml': 'resources:\n- r.yaml\nreplicas:\n- name: web\n  count: 4\n', 'r.yaml': DEP})
case('replicas-statefulset', {'kustomization.yaml': 'resources:\n- r.yaml\nreplicas:\n- name: db\n  count: 3\n', 'r.yaml': STS})
case('replicas-after-prefix', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\nreplicas:\n- name: web\n  count: 2\n', 'r.yaml': DEP})
case('replicas-zero', {'kustomization.yaml': 'resources:\n- r.yaml\nreplicas:\n- name: web\n  count: 0\n', 'r.yaml': DEP})
case('replicas-no-match-error', {'kustomization.yaml': 'resources:\n- r.yaml\nreplicas:\n- name: nothing\n  count: 2\n', 'r.yaml': DEP}, error='nothing')

# ---------- generators ----------
case('cmgen-literals', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - a=1\n  - b=two\n  - c=with=equals\n'})
case('cmgen-files', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  files:\n  - app.properties\n  - custom-key=other.txt\n', 'app.properties': 'x=1\ny=2\n', 'other.txt': 'hello\n'})
case('cmgen-envs', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  envs:\n  - app.env\n', 'app.env': '# comment\nA=1\n\nB=hello world\nC=\n'})
case('cmgen-mixed-sources', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - lit=1\n  files:\n  - f.txt\n  envs:\n  - e.env\n', 'f.txt': 'file\n', 'e.env': 'ENV=1\n'})
case('cmgen-disable-hash', {'kustomization.yaml': 'generatorOptions:\n  disableNameSuffixHash: true\nconfigMapGenerator:\n- name: app\n  literals: [a=b]\n'})
case('cmgen-per-generator-options', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: true\n    labels:\n      gen: "yes"\n    annotations:\n      note: x\n- name: hashed\n  literals: [a=b]\n'})
case('cmgen-generator-options-labels', {'kustomization.yaml': 'generatorOptions:\n  labels:\n    g: l\n  annotations:\n    g: a\nconfigMapGenerator:\n- name: app\n  literals: [a=b]\nsecretGenerator:\n- name: sec\n  literals: [a=b]\n'})
case('cmgen-immutable', {'kustomization.yaml': 'generatorOptions:\n  immutable: true\nconfigMapGenerator:\n- name: app\n  literals: [a=b]\n'})
case('cmgen-namespace-field', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  namespace: special\n  literals: [a=b]\n'})
case('cmgen-with-prefix-namespace', {'kustomization.yaml': 'namePrefix: p-\nnameSuffix: -s\nnamespace: team\nconfigMapGenerator:\n- name: app\n  literals: [a=b]\n'})
case('cmgen-nameref-deployment', {'kustomization.yaml': 'resources:\n- r.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [key=generated]\n', 'r.yaml': DEP.replace('        env:\n', '        envFrom:\n        - configMapRef:\n            name: settings\n        env:\n        - name: FROM_CM\n          valueFrom:\n            configMapKeyRef:\n              name: settings\n              key: key\n').replace('      containers:', '      volumes:\n      - name: cfg\n        configMap:\n          name: settings\n      containers:')})
case('cmgen-nameref-pod-cronjob', {'kustomization.yaml': 'resources:\n- r.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [key=v]\nsecretGenerator:\n- name: creds\n  literals: [password=p]\n', 'r.yaml': POD_VOL + '---\n' + CRON})
case('cmgen-merge-behavior', {'kustomization.yaml': 'resources:\n- base\nconfigMapGenerator:\n- name: app\n  behavior: merge\n  literals:\n  - b=overlay\n  - c=new\n', 'base/kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - a=base\n  - b=base\n'})
case('cmgen-replace-behavior', {'kustomization.yaml': 'resources:\n- base\nconfigMapGenerator:\n- name: app\n  behavior: replace\n  literals:\n  - only=this\n', 'base/kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - a=base\n'})
case('cmgen-merge-with-prefix-base', {'kustomization.yaml': 'resources:\n- base\nconfigMapGenerator:\n- name: app\n  behavior: merge\n  literals:\n  - b=overlay\n', 'base/kustomization.yaml': 'namePrefix: base-\nconfigMapGenerator:\n- name: app\n  literals:\n  - a=base\n'})
case('cmgen-create-conflict-error', {'kustomization.yaml': 'resources:\n- base\nconfigMapGenerator:\n- name: app\n  literals:\n  - b=overlay\n', 'base/kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - a=base\n'}, error='app')
case('cmgen-duplicate-key-error', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - a=1\n  - a=2\n'}, error='a')
case('cmgen-missing-file-error', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  files:\n  - missing.txt\n'}, error='missing.txt')
case('cmgen-special-chars', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - html=<b>&amp;</b>\n  - quote="quoted value"\n  - unicode=é✓\n  - spaces=  padded  \n'})
case('cmgen-multiline-file', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  files:\n  - script.sh\n  - nginx.conf\n', 'script.sh': '#!/bin/sh\necho "hi"\nexit 0\n', 'nginx.conf': 'server {\n  listen 80;\n\n  location / {\n    return 200;\n  }\n}\n'})
case('cmgen-hash-changes-with-data', {'kustomization.yaml': 'configMapGenerator:\n- name: one\n  literals: [a=1]\n- name: two\n  literals: [a=2]\n- name: three\n  literals: [a=1, b=2]\n'})
case('cmgen-referenced-by-overlay-patch', {'kustomization.yaml': 'resources:\n- base\npatches:\n- path: p.yaml\n', 'base/kustomization.yaml': 'resources:\n- r.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [key=v]\n', 'base/r.yaml': CRON, 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  patched: "true"\n'})
case('secretgen-literals', {'kustomization.yaml': 'secretGenerator:\n- name: creds\n  literals:\n  - user=admin\n  - password=s3cr3t\n'})
case('secretgen-files-type', {'kustomization.yaml': 'secretGenerator:\n- name: tls\n  type: kubernetes.io/tls\n  files:\n  - tls.crt\n  - tls.key\n', 'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'tls.key': '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'})
case('secretgen-envs', {'kustomization.yaml': 'secretGenerator:\n- name: env\n  envs:\n  - s.env\n', 's.env': 'TOKEN=abc\nOTHER=def\n'})
case('secretgen-disable-hash', {'kustomization.yaml': 'secretGenerator:\n- name: creds\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: true\n'})
case('secretgen-nameref-everywhere', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\nsecretGenerator:\n- name: creds\n  literals: [password=p]\n- name: tls\n  literals: [tls.crt=c]\n- name: pull\n  type: kubernetes.io/dockerconfigjson\n  literals:\n  - .dockerconfigjson={}\n', 'r.yaml': POD_VOL + '---\n' + ING.replace('secretName: tls', 'secretName: tls') + '---\n' + SA.replace('name: runner', 'name: runner\nimagePullSecrets:\n- name: pull\nsecrets:\n- name: creds') + '---\n' + CM + '---\n' + PVC + '---\n' + SVC})
case('secretgen-merge', {'kustomization.yaml': 'resources:\n- base\nsecretGenerator:\n- name: creds\n  behavior: merge\n  literals: [b=2]\n', 'base/kustomization.yaml': 'secretGenerator:\n- name: creds\n  literals: [a=1]\n'})
case('secretgen-binary-file', {'kustomization.yaml': 'secretGenerator:\n- name: bin\n  files:\n  - blob.bin\n'}, )
case('gen-key-with-space', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals:\n  - "bad key=1"\n'})

# ---------- components ----------
COMP_BASE = {'base/kustomization.yaml': 'resources:\n- r.yaml\n', 'base/r.yaml': DEP}
case('components-basic', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  feature: on\n'.replace('on\n', '"on"\n')})
case('components-add-resource', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- svc.yaml\n', 'comp/svc.yaml': SVC})
case('components-patch', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      replicas: 8\n'})
case('components-generator-merge', {'kustomization.yaml': 'resources:\n- base\ncomponents:\n- comp\n', 'base/kustomization.yaml': 'configMapGenerator:\n- name: cfg\n  literals: [a=1]\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [feature=on]\n'})
case('components-two-ordered', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- one\n- two\n', 'one/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n- name: nginx\n  newName: one/nginx\n', 'two/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n- name: one/nginx\n  newTag: two\n'})
case('components-before-overlay-transforms', {**COMP_BASE, 'kustomization.yaml': 'namePrefix: ov-\nresources:\n- base\ncomponents:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- cm.yaml\n', 'comp/cm.yaml': CM})
case('components-kind-error', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- base\n'}, error='Component')
case('components-as-resource-error', {'kustomization.yaml': 'resources:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n'}, error='Component')

# ---------- replacements ----------
case('replacements-basic', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: Service\n    name: web\n    fieldPath: metadata.name\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=web].env.[name=MODE].value\n', 'r.yaml': DEP + '---\n' + SVC})
case('replacements-delimiter', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: settings\n    fieldPath: data.key\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.image\n    options:\n      delimiter: ":"\n      index: 1\n', 'r.yaml': DEP + '---\n' + CM})
case('replacements-create', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: settings\n    fieldPath: data.key\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.copied\n    options:\n      create: true\n', 'r.yaml': DEP + '---\n' + CM})
case('replacements-file-path', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- path: rep.yaml\n', 'rep.yaml': 'source:\n  kind: Deployment\n  name: web\n  fieldPath: spec.template.spec.containers.0.image\ntargets:\n- select:\n    kind: ConfigMap\n  fieldPaths:\n  - data.key\n', 'r.yaml': DEP + '---\n' + CM})
case('replacements-reject', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: src\n    fieldPath: data.v\n  targets:\n  - select:\n      kind: ConfigMap\n    reject:\n    - name: src\n    fieldPaths:\n    - data.v\n', 'r.yaml': ''.join(f'---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  v: {n}\n' for n in ['src', 'a', 'b'])})
case('replacements-source-delimiter', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: Deployment\n    fieldPath: spec.template.spec.containers.0.image\n    options:\n      delimiter: ":"\n      index: 0\n  targets:\n  - select:\n      kind: ConfigMap\n    fieldPaths:\n    - data.key\n', 'r.yaml': DEP + '---\n' + CM})
case('replacements-number', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: Deployment\n    fieldPath: spec.replicas\n  targets:\n  - select:\n      kind: Widget\n    fieldPaths:\n    - spec.size\n', 'r.yaml': DEP + '---\n' + WIDGET})
case('replacements-multiple-sources-error', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.name\n', 'r.yaml': DEP + '---\n' + CM + '---\n' + CM.replace('settings', 'second')}, error='source')

# ---------- vars ----------
case('vars-service-name', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\nvars:\n- name: SVC\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n', 'r.yaml': DEP.replace('          value: prod\n', '          value: $(SVC)\n        command: [run, --svc=$(SVC)]\n') + '---\n' + SVC})
case('vars-fieldref', {'kustomization.yaml': 'resources:\n- r.yaml\nvars:\n- name: PORT\n  objref:\n    kind: Service\n    name: web\n    apiVersion: v1\n  fieldref:\n    fieldpath: spec.ports[0].port\n'.replace('spec.ports[0].port', 'spec.ports.0.port'), 'r.yaml': DEP.replace('          value: prod\n', '          value: "port-$(PORT)"\n') + '---\n' + SVC})
case('vars-missing-object-error', {'kustomization.yaml': 'resources:\n- r.yaml\nvars:\n- name: X\n  objref:\n    kind: Service\n    name: absent\n    apiVersion: v1\n', 'r.yaml': DEP}, error='absent')

# ---------- buildMetadata ----------
case('buildmetadata-managedby', {'kustomization.yaml': 'buildMetadata: [managedByLabel]\nresources:\n- r.yaml\n', 'r.yaml': CM})
case('buildmetadata-origin', {'kustomization.yaml': 'buildMetadata: [originAnnotations]\nresources:\n- r.yaml\n- base\n', 'r.yaml': CM, 'base/kustomization.yaml': 'resources:\n- sa.yaml\n', 'base/sa.yaml': SA})

# ---------- errors ----------
case('error-missing-resource-file', {'kustomization.yaml': 'resources:\n- absent.yaml\n'}, error='absent.yaml')
case('error-missing-resource-dir', {'kustomization.yaml': 'resources:\n- absent\n'}, error='absent')
case('error-dir-without-kustomization', {'kustomization.yaml': 'resources:\n- sub\n', 'sub/cm.yaml': CM}, error='sub')
case('error-cycle', {'kustomization.yaml': 'resources:\n- a\n', 'a/kustomization.yaml': 'resources:\n- ../b\n', 'b/kustomization.yaml': 'resources:\n- ../a\n'}, error='cycle')
case('error-duplicate-id', {'kustomization.yaml': 'resources:\n- a.yaml\n- b.yaml\n', 'a.yaml': CM, 'b.yaml': CM}, error='already registered')
case('error-duplicate-id-across-bases', {'kustomization.yaml': 'resources:\n- a\n- b\n', 'a/kustomization.yaml': 'resources:\n- cm.yaml\n', 'a/cm.yaml': CM, 'b/kustomization.yaml': 'resources:\n- cm.yaml\n', 'b/cm.yaml': CM}, error='already registered')
case('error-unknown-field', {'kustomization.yaml': 'resources:\n- cm.yaml\nnotAField: true\n', 'cm.yaml': CM}, error='notAField')
case('error-invalid-yaml', {'kustomization.yaml': 'resources:\n- cm.yaml\n', 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n'}, error='cm.yaml')
case('error-missing-kind', {'kustomization.yaml': 'resources:\n- cm.yaml\n', 'cm.yaml': 'apiVersion: v1\nmetadata:\n  name: x\n'}, error='kind')
case('error-remote-resource', {'kustomization.yaml': 'resources:\n- https://github.com/example/repo//base?ref=v1\n'}, error='remote')
case('error-helm-charts', {'kustomization.yaml': 'helmCharts:\n- name: nginx\n  repo: https://charts.example.com\n'}, error='elm')
case('error-escape-root', {'kustomization.yaml': 'resources:\n- ../../outside.yaml\n'}, error='outside')
case('error-absolute-path', {'kustomization.yaml': 'resources:\n- /etc/hostname\n'}, error='absolute')
case('error-file-outside-kustomization-dir', {'overlay/kustomization.yaml': 'resources:\n- ../cm.yaml\n', 'cm.yaml': CM}, error='cm.yaml')
case('error-multiple-kustomization-files', {'kustomization.yaml': 'resources: []\n', 'kustomization.yml': 'resources: []\n'}, error='multiple')
case('error-not-a-mapping', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': '- just\n- a list\n'}, error='r.yaml')
case('error-resource-is-kustomization', {'kustomization.yaml': 'resources:\n- other.yaml\n', 'other.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n'}, error='other.yaml')
case('error-generator-no-name', {'kustomization.yaml': 'configMapGenerator:\n- literals: [a=b]\n'}, error='name')
case('error-merge-without-base', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  behavior: merge\n  literals: [a=b]\n'}, error='app')
case('gen-unknown-behavior-is-create', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  behavior: upsert\n  literals: [a=b]\n'})
case('error-literal-no-equals', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals: [novalue]\n'}, error='novalue')
case('error-patch-not-object', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesStrategicMerge:\n- p.yaml\n', 'r.yaml': CM, 'p.yaml': '- op: add\n  path: /x\n  value: 1\n'}, error='p.yaml')
case('error-duplicate-yaml-key', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n'}, error='name')
case('error-kustomization-kind', {'kustomization.yaml': 'apiVersion: v1\nkind: ConfigMap\nresources: []\n'}, error='ConfigMap')
case('error-krm-transformers', {'kustomization.yaml': 'transformers:\n- t.yaml\n', 't.yaml': 'apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: f\n'}, error='transformers')

# ---------- combined / realistic ----------
case('full-overlay-prod', {
  'base/kustomization.yaml': 'resources:\n- deploy.yaml\n- svc.yaml\n- sa.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [LOG=info]\ncommonLabels:\n  app.kubernetes.io/name: web\n',
  'base/deploy.yaml': DEP.replace('      containers:', '      serviceAccountName: runner\n      containers:').replace('        env:\n', '        envFrom:\n        - configMapRef:\n            name: settings\n        env:\n'),
  'base/svc.yaml': SVC, 'base/sa.yaml': SA,
  'kustomization.yaml': 'namespace: prod\nnamePrefix: prod-\nresources:\n- base\n- ing.yaml\nimages:\n- name: nginx\n  newTag: 1.27-alpine\nreplicas:\n- name: web\n  count: 5\nconfigMapGenerator:\n- name: settings\n  behavior: merge\n  literals: [LOG=warn]\ncommonAnnotations:\n  env: prod\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            resources:\n              requests:\n                cpu: 100m\n',
  'ing.yaml': ING})
case('full-multi-env', {
  'base/kustomization.yaml': 'resources:\n- all.yaml\n', 'base/all.yaml': DEP + '---\n' + SVC + '---\n' + HPA + '---\n' + PDB,
  'kustomization.yaml': 'resources:\n- staging\n- prod\n',
  'staging/kustomization.yaml': 'namespace: staging\nnameSuffix: -stg\nresources:\n- ../base\n',
  'prod/kustomization.yaml': 'namespace: prod\nnameSuffix: -prd\nresources:\n- ../base\nlabels:\n- pairs:\n    env: prod\n  includeSelectors: true\n'})
case('full-rbac-app', {'kustomization.yaml': 'namespace: ops\nnamePrefix: ops-\nresources:\n- r.yaml\n', 'r.yaml': SA + '---\n' + RBAC + '---\n' + CRON + '---\n' + CM + '---\n' + NS})
case('full-crd-and-cr', {'kustomization.yaml': 'namespace: w\ncommonLabels:\n  part-of: widgets\nresources:\n- crd.yaml\n- cr.yaml\npatches:\n- target:\n    kind: Widget\n  patch: |-\n    - op: replace\n      path: /spec/size\n      value: 5\n', 'crd.yaml': CRD, 'cr.yaml': WIDGET})
case('full-generators-everywhere', {'kustomization.yaml': 'namespace: gen\nnamePrefix: g-\nresources:\n- r.yaml\nconfigMapGenerator:\n- name: settings\n  files: [app.conf]\nsecretGenerator:\n- name: creds\n  envs: [creds.env]\ngeneratorOptions:\n  labels:\n    generated: "true"\n', 'app.conf': 'level=debug\n', 'creds.env': 'password=pw\n', 'r.yaml': POD_VOL + '---\n' + CRON + '---\n' + PVC + '---\n' + SA})
case('full-components-overlay', {'kustomization.yaml': 'resources:\n- base\ncomponents:\n- monitoring\n- ha\nnamespace: shop\n', 'base/kustomization.yaml': 'resources:\n- deploy.yaml\n- svc.yaml\n', 'base/deploy.yaml': DEP, 'base/svc.yaml': SVC, 'monitoring/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- target:\n    kind: Service\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value:\n        prometheus.io/scrape: "true"\n', 'ha/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- pdb.yaml\nreplicas:\n- name: web\n  count: 3\n', 'ha/pdb.yaml': PDB})
case('full-daemonset-netpol', {'kustomization.yaml': 'namespace: sys\ncommonLabels:\n  layer: infra\nresources:\n- r.yaml\nimages:\n- name: agent\n  newName: registry.local/agent\n  newTag: "2.1"\n', 'r.yaml': DS + '---\n' + NETPOL})

# ---------- Flux: no kustomization ----------
case('flux-plain-dir', {'deploy.yaml': DEP, 'svc.yaml': SVC, 'README.md': '# not yaml\n'})
case('flux-plain-nested', {'apps/deploy.yaml': DEP, 'apps/svc.yml': SVC, 'config/cm.yaml': CM, 'config/deep/sa.yaml': SA})
case('flux-plain-with-kustomized-subdir', {'cm.yaml': CM, 'app/kustomization.yaml': 'namePrefix: app-\nresources:\n- deploy.yaml\n', 'app/deploy.yaml': DEP})


# ---------- more edge cases ----------
case('commonlabels-service-without-selector', {'kustomization.yaml': 'commonLabels:\n  team: core\nresources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: headless\nspec:\n  clusterIP: None\n'})
case('labels-custom-fields', {'kustomization.yaml': 'labels:\n- pairs:\n    team: core\n  fields:\n  - kind: Widget\n    path: spec/selector\n    create: true\nresources:\n- r.yaml\n', 'r.yaml': WIDGET})
case('cmgen-env-quotes', {'kustomization.yaml': 'configMapGenerator:\n- name: app\n  envs:\n  - q.env\n', 'q.env': 'A="double"\nB=\'single\'\n  C=indented\nD=x=y\n'})
case('cmgen-global-disable-local-enable', {'kustomization.yaml': 'generatorOptions:\n  disableNameSuffixHash: true\nconfigMapGenerator:\n- name: plain\n  literals: [a=b]\n- name: hashed\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: false\n'})
case('images-tag-and-digest', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newTag: "1.0"\n  digest: sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3\n', 'r.yaml': DEP})
case('images-existing-digest', {'kustomization.yaml': 'resources:\n- r.yaml\nimages:\n- name: nginx\n  newTag: "2.0"\n', 'r.yaml': DEP.replace('nginx:1.25', 'nginx@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3')})
case('sortoptions-in-base-ignored', {'kustomization.yaml': 'resources:\n- base\n', 'base/kustomization.yaml': 'sortOptions:\n  order: fifo\nresources:\n- r.yaml\n', 'base/r.yaml': DEP + '---\n' + CM})
case('resources-configmaplist', {'kustomization.yaml': 'resources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: one\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: two\n'})
case('smp-two-patches-same-target', {'kustomization.yaml': 'resources:\n- r.yaml\npatchesStrategicMerge:\n- a.yaml\n- b.yaml\n', 'r.yaml': DEP, 'a.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n', 'b.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      annotations:\n        b: "1"\n'})
case('json6902-set-based-selector', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    labelSelector: app in (web, api),tier notin (db)\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {selected: "yes"}\n', 'r.yaml': DEP + '---\n' + SVC + '---\n' + CM.replace('name: settings', 'name: settings\n  labels:\n    app: web\n    tier: db')})
case('smp-target-version', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    version: v1\n    kind: ConfigMap\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x\n    data:\n      v: "1"\n', 'r.yaml': CM + '---\n' + SVC})
case('components-nested', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- outer\n', 'outer/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../inner\ncommonAnnotations:\n  outer: "1"\n', 'inner/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  inner: "1"\n'})
case('components-namespace', {**COMP_BASE, 'kustomization.yaml': 'resources:\n- base\ncomponents:\n- comp\n', 'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: comp-ns\n'})
case('secret-stringdata-resource', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: plain\n---\n' + POD_VOL.replace('configMapKeyRef:\n          name: settings', 'configMapKeyRef:\n          name: other')})
case('prefix-custom-resource-renamed', {'kustomization.yaml': 'namePrefix: p-\nnameSuffix: -s\nresources:\n- r.yaml\n', 'r.yaml': CRD + '---\n' + WIDGET})
case('buildmetadata-origin-generator', {'kustomization.yaml': 'buildMetadata: [originAnnotations]\nconfigMapGenerator:\n- name: gen\n  literals: [a=b]\nresources:\n- r.yaml\n', 'r.yaml': SA})
case('replacements-create-list-path', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: Service\n    name: web\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=web].env.[name=MODE].value\n    - metadata.labels.svc\n', 'r.yaml': DEP + '---\n' + SVC}, error='metadata.labels.svc')
case('namespace-then-prefix-nameref', {'kustomization.yaml': 'namespace: a\nresources:\n- base\n', 'base/kustomization.yaml': 'namePrefix: b-\nresources:\n- r.yaml\n', 'base/r.yaml': SA + '---\n' + RBAC + '---\n' + POD_VOL.replace('    env:\n    - name: KEY\n      valueFrom:\n        configMapKeyRef:\n          name: settings\n          key: key\n    - name: PASS\n      valueFrom:\n        secretKeyRef:\n          name: creds\n          key: password\n', '')})
case('labels-on-namespace-and-crd', {'kustomization.yaml': 'labels:\n- pairs:\n    x: why\n  includeSelectors: true\ncommonAnnotations:\n  a: b\nresources:\n- r.yaml\n', 'r.yaml': NS + '---\n' + CRD})
case('cmgen-behavior-merge-in-overlay-with-namespace', {'kustomization.yaml': 'namespace: ns\nresources:\n- base\nconfigMapGenerator:\n- name: app\n  behavior: merge\n  literals: [b=2]\n', 'base/kustomization.yaml': 'configMapGenerator:\n- name: app\n  literals: [a=1]\n'})
case('hpa-statefulset-ref', {'kustomization.yaml': 'namePrefix: p-\nresources:\n- r.yaml\n', 'r.yaml': STS + '---\n' + HPA.replace('kind: Deployment\n    name: web', 'kind: StatefulSet\n    name: db')})
case('error-empty-kustomization', {'kustomization.yaml': '{}\n'}, error='empty')
case('patch-changes-image-then-images', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            image: redis:6\nimages:\n- name: redis\n  newTag: "7"\n', 'r.yaml': DEP})
case('error-component-missing', {'kustomization.yaml': 'components:\n- nowhere\n'}, error='nowhere')
case('error-patch-target-invalid-regex', {'kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- target:\n    name: "web("\n  patch: |-\n    - op: add\n      path: /x\n      value: 1\n', 'r.yaml': DEP}, error='web(')
case('error-replacement-source-missing', {'kustomization.yaml': 'resources:\n- r.yaml\nreplacements:\n- source:\n    kind: Secret\n    name: nope\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.name\n', 'r.yaml': DEP}, error='source')
case('crds-field-empty-definitions', {'kustomization.yaml': 'crds:\n- crd.json\nresources:\n- r.yaml\n', 'crd.json': '{}', 'r.yaml': WIDGET})


# crds: OpenAPI definitions with kustomize's x-kubernetes-* extensions (name references, annotation,
# label-selector and identity fields); merge keys in them are not used by kustomize's strategic merge.
CRD_DEFS = K("""
    com.example.v1.MyKind:
      Schema:
        properties:
          apiVersion:
            type: string
          kind:
            type: string
          metadata:
            $ref: io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
          spec:
            $ref: com.example.v1.MyKindSpec
    com.example.v1.MyKindSpec:
      Schema:
        properties:
          configRef:
            x-kubernetes-object-ref-api-version: v1
            x-kubernetes-object-ref-kind: ConfigMap
          secret:
            x-kubernetes-object-ref-api-version: v1
            x-kubernetes-object-ref-kind: Secret
            x-kubernetes-object-ref-name-key: secretName
          selector:
            x-kubernetes-label-selector: ""
          notes:
            x-kubernetes-annotation: ""
          ident:
            x-kubernetes-identity: ""
          items:
            type: array
            x-kubernetes-patch-merge-key: name
            x-kubernetes-patch-strategy: merge
    """)
MYKIND = K("""
    apiVersion: example.com/v1
    kind: MyKind
    metadata:
      name: mk
    spec:
      configRef:
        name: cfg
      secret:
        secretName: sec
      selector:
        foo: bar
      notes:
        z: z
      ident: mk
      items:
      - name: a
        v: 1
      other:
        configRef:
          name: cfg
    """)
OTHERKIND = K("""
    apiVersion: example.com/v1
    kind: OtherKind
    metadata:
      name: ok
    spec:
      configRef:
        name: cfg
      selector:
        foo: bar
      ident: ok
    """)
case('crds-nameref-generated', {'kustomization.yaml': K("""
    crds:
    - crd.yaml
    resources:
    - res.yaml
    - other.yaml
    configMapGenerator:
    - name: cfg
      literals: [a=b]
    secretGenerator:
    - name: sec
      literals: [a=b]
    """), 'crd.yaml': CRD_DEFS, 'res.yaml': MYKIND, 'other.yaml': OTHERKIND})
case('crds-prefix-labels-annotations', {'kustomization.yaml': K("""
    crds:
    - crd.yaml
    namePrefix: p-
    nameSuffix: -s
    commonLabels:
      app: x
    commonAnnotations:
      note: "y"
    resources:
    - res.yaml
    - other.yaml
    - cm.yaml
    """), 'crd.yaml': CRD_DEFS, 'res.yaml': MYKIND, 'other.yaml': OTHERKIND,
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n'})
case('crds-labels-include-selectors', {'kustomization.yaml': K("""
    crds:
    - crd.yaml
    labels:
    - pairs:
        sel: "yes"
      includeSelectors: true
    - pairs:
        plain: "yes"
    resources:
    - res.yaml
    """), 'crd.yaml': CRD_DEFS, 'res.yaml': MYKIND})
case('crds-in-base-used-by-overlay', {
    'base/kustomization.yaml': 'crds:\n- crd.yaml\nresources:\n- res.yaml\n',
    'base/crd.yaml': CRD_DEFS, 'base/res.yaml': MYKIND,
    'overlay/kustomization.yaml': K("""
    resources:
    - ../base
    namePrefix: prod-
    commonLabels:
      env: prod
    commonAnnotations:
      owner: shop
    configMapGenerator:
    - name: cfg
      literals: [a=c]
    secretGenerator:
    - name: sec
      literals: [a=c]
    """)})
case('crds-json-nested-refs-and-version', {'kustomization.yaml': K("""
    crds:
    - crd.json
    namePrefix: p-
    resources:
    - res.yaml
    - cm.yaml
    """), 'crd.json': json.dumps({
        "io.example.v1alpha1.Bee": {"Schema": {"properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"$ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            "spec": {"$ref": "io.example.v1alpha1.BeeSpec"}}}},
        "io.example.v1alpha1.BeeSpec": {"Schema": {"properties": {
            "hive": {"$ref": "io.example.v1alpha1.Hive"},
            "wrongVersion": {"x-kubernetes-object-ref-api-version": "v2", "x-kubernetes-object-ref-kind": "ConfigMap"},
            "notString": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap", "x-kubernetes-identity": True}}}},
        "io.example.v1alpha1.Hive": {"Schema": {"properties": {
            "cm": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap", "x-kubernetes-object-ref-name-key": "ref"}}}},
        "io.example.v1alpha1.NotAKind": {"Schema": {"properties": {
            "cm": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap"}}}},
    }, indent=2),
    'res.yaml': K("""
    apiVersion: example.io/v1alpha1
    kind: Bee
    metadata:
      name: bee
    spec:
      hive:
        cm:
          ref: cfg
      wrongVersion:
        name: cfg
      notString:
        name: cfg
      cm:
        name: cfg
    ---
    apiVersion: example.io/v1alpha1
    kind: NotAKind
    metadata:
      name: nak
    cm:
      name: cfg
    """),
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n'})
case('crds-merge-key-not-used', {'kustomization.yaml': K("""
    crds:
    - crd.yaml
    resources:
    - res.yaml
    patches:
    - patch: |
        apiVersion: example.com/v1
        kind: MyKind
        metadata:
          name: mk
        spec:
          items:
          - name: b
            v: 2
    """), 'crd.yaml': CRD_DEFS, 'res.yaml': MYKIND})

# crds of one base are not seen by a sibling's transformers, but name references at the top use them.
case('crds-sibling-scope', {
    'kustomization.yaml': 'resources:\n- a\n- b\n',
    'a/kustomization.yaml': 'crds:\n- crd.yaml\nresources: []\n', 'a/crd.yaml': CRD_DEFS,
    'b/kustomization.yaml': K("""
    resources:
    - res.yaml
    namePrefix: b-
    commonAnnotations:
      x: "1"
    configMapGenerator:
    - name: cfg
      literals: [a=b]
    """), 'b/res.yaml': MYKIND})
case('crds-file-not-a-map', {'kustomization.yaml': 'crds:\n- crd.yaml\nresources:\n- res.yaml\n', 'crd.yaml': '- a\n', 'res.yaml': MYKIND}, 'crd.yaml')

for name, (files, error) in list(cases.items()):
    if files is None: del cases[name]
import sys
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cases')
os.makedirs(root, exist_ok=True)
for name, (files, error) in cases.items():
    d = os.path.join(root, name)
    # Inputs are rewritten; expected output is left for regenerate.sh.
    if os.path.exists(os.path.join(d, 'input')): shutil.rmtree(os.path.join(d, 'input'))
    os.makedirs(d, exist_ok=True)
    for stale in ('error-contains',):
        if os.path.exists(os.path.join(d, stale)): os.remove(os.path.join(d, stale))
    for fn, content in files.items():
        p = os.path.join(d, 'input', fn)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f: f.write(content)
    if name == 'secretgen-binary-file':
        with open(os.path.join(d, 'input', 'blob.bin'), 'wb') as f: f.write(bytes([0, 159, 146, 150, 255, 1, 2]))
    # Which directory to build (inside input/).
    build = 'overlay' if 'overlay/kustomization.yaml' in files and 'kustomization.yaml' not in files else '.'
    with open(os.path.join(d, 'build-path'), 'w') as f: f.write(build + '\n')
    if error:
        with open(os.path.join(d, 'error-contains'), 'w') as f: f.write(error + '\n')
print(len(cases), 'cases')
