#!/usr/bin/env bash
# Starts Fleet locally, the embedded default: one silo on SQLite (data under .data/) with the gateway
# in-process, plus a demo fleet: KubeSim with 20 labelled virtual clusters, a local Git repository made
# from examples/demo, and an Application rolling it out to the env=prod clusters.
#   scripts/run-local.sh            Fleet and the demo
#   scripts/run-local.sh --no-demo  Fleet alone
# Ports: the gateway on 127.0.0.1:8080, KubeSim on 127.0.0.1:6443 (override with FLEET_PORT, KUBESIM_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
demo=true
[ "${1:-}" = "--no-demo" ] && demo=false

scripts/install-deps.sh
data="$PWD/.data"
mkdir -p "$data"
port="${FLEET_PORT:-8080}"
simport="${KUBESIM_PORT:-6443}"
api="http://127.0.0.1:$port/api/v1/namespaces/demo"

echo "building..."
dotnet build src/Silo -nologo -v quiet "-clp:NoSummary;ErrorsOnly"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# Every API call needs a token. On its first start the silo creates an admin token, prints it once and writes
# it to initial-admin-token in its data directory (owner-only); the demo uses that file.
usage() { # usage TOKEN_FILE
  cat <<USAGE

The API needs a bearer token. The initial admin token is in $1 (shown once in the log too):
  export FLEET_TOKEN=\$(cat $1)
  curl -s -H "Authorization: Bearer \$FLEET_TOKEN" http://127.0.0.1:$port/api/v1/clusters
Create narrower tokens with POST /api/v1/tokens (see docs/security.md).
USAGE
}

if ! $demo; then
  usage "$data/initial-admin-token"
  exec dotnet run --no-build --project src/Silo -- --urls "http://127.0.0.1:$port" --Fleet:DataDirectory="$data"
fi

dotnet build src/KubeSim -nologo -v quiet "-clp:NoSummary;ErrorsOnly"
token=demo-token
dotnet run --no-build --project src/KubeSim -- --urls "https://127.0.0.1:$simport" --tls --ca-out "$data/kubesim-ca.pem" \
  --clusters 20 --token "$token" --ready-delay 3s >"$data/kubesim.log" 2>&1 &
pids+=($!)
dotnet run --no-build --project src/Silo -- --urls "http://127.0.0.1:$port" --Fleet:DataDirectory="$data/silo" --Fleet:Gateway:AllowedFileRoots="$data/demo-repo" >"$data/silo.log" 2>&1 &
pids+=($!)

wait_for() { for _ in $(seq 1 120); do if eval "$1" >/dev/null 2>&1; then return 0; fi; sleep 0.5; done; echo "timed out waiting for $2" >&2; exit 1; }
wait_for "test -s '$data/kubesim-ca.pem'" "KubeSim"
wait_for "curl -sf http://127.0.0.1:$port/readyz" "the silo"
tokenfile="$data/silo/initial-admin-token"
wait_for "test -s '$tokenfile'" "the initial admin token"
auth="Authorization: Bearer $(cat "$tokenfile")"

put() { # put PLURAL NAME BODY
  local code
  code=$(curl -s -o "$data/last-response.json" -w '%{http_code}' -X PUT -H "$auth" -H 'content-type: application/yaml' --data-binary "$3" "$api/$1/$2")
  case "$code" in 200|201) ;; *) echo "PUT $1/$2 failed ($code): $(cat "$data/last-response.json")" >&2; exit 1 ;; esac
}

# The demo repository: examples/demo committed to a local Git repository (kept between runs).
repo="$data/demo-repo"
if [ ! -d "$repo/.git" ]; then
  mkdir -p "$repo"
  cp -r examples/demo/base examples/demo/overlays "$repo/"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name=demo -c user.email=demo@fleet.dev commit -q -m "demo: first revision"
fi

ca=$(sed 's/^/    /' "$data/kubesim-ca.pem")
put secrets kubesim "apiVersion: fleet.dev/v1
kind: Secret
metadata: {name: kubesim}
stringData: {token: $token}"
for i in $(seq 1 20); do
  name=$(printf 'sim-%04d' "$i")
  if [ $((i % 2)) -eq 1 ]; then env=prod; else env=dev; fi
  if [ "$i" -le 10 ]; then region=eu; else region=us; fi
  put clusters "$name" "apiVersion: fleet.dev/v1
kind: Cluster
metadata:
  name: $name
  labels: {env: $env, region: $region}
spec:
  server: https://127.0.0.1:$simport/clusters/$name
  credentialsRef: {name: kubesim}
  caData: |
$ca"
done
put gitrepositories demo "$(sed "s#REPO_URL#file://$repo#" examples/demo/fleet/gitrepository.yaml)"
put applications web "$(cat examples/demo/fleet/application.yaml)"

# A kubeconfig for one simulated cluster, for the real kubectl.
cat >"$data/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: sim-0001
  cluster:
    server: https://127.0.0.1:$simport/clusters/sim-0001
    certificate-authority-data: $(base64 -w0 "$data/kubesim-ca.pem")
users:
- name: demo
  user: {token: $token}
contexts:
- name: sim-0001
  context: {cluster: sim-0001, user: demo}
current-context: sim-0001
KUBECONFIG

cat <<INFO

Fleet is running (SQLite under .data/, logs in .data/silo.log), with a demo fleet of 20 simulated clusters.
Every API call needs a token; first set it in your shell:
  export FLEET_TOKEN=\$(cat .data/silo/initial-admin-token)
  Application:  curl -s -H "Authorization: Bearer \$FLEET_TOKEN" $api/applications/web | jq .status
  Placements:   curl -s -H "Authorization: Bearer \$FLEET_TOKEN" $api/placements | jq '.items[] | {name: .metadata.name, ready: .status.conditions[0].reason, revision: .status.lastAppliedRevision}'
  Clusters:     curl -s -H "Authorization: Bearer \$FLEET_TOKEN" '$api/clusters?labelSelector=env%3Dprod' | jq '.items[].metadata.name'
  Events:       curl -s -H "Authorization: Bearer \$FLEET_TOKEN" $api/events | jq '.items[] | .reason + ": " + .message'
  Audit log:    curl -s -H "Authorization: Bearer \$FLEET_TOKEN" http://127.0.0.1:$port/api/v1/audit | jq '.items[] | .subject + " " + .verb + " " + .kind + "/" + .name'
  kubectl:      kubectl --kubeconfig .data/kubeconfig get deploy,cm,svc -n demo
  The Git repository is .data/demo-repo: commit to it and run
                curl -s -X PUT -H "Authorization: Bearer \$FLEET_TOKEN" -H 'content-type: application/yaml' --data-binary @<(sed "s#REPO_URL#file://$repo#" examples/demo/fleet/gitrepository.yaml) $api/gitrepositories/demo
                (or wait for the 30s interval) to roll the change out.
Ctrl+C stops Fleet and KubeSim.
INFO
wait "${pids[1]}"
