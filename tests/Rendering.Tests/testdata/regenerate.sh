#!/usr/bin/env bash
# Refreshes the expected output of every conformance case from the real kustomize
# (`kubectl kustomize`), and records the kubectl/kustomize version used.
# Usage: tests/Rendering.Tests/testdata/regenerate.sh [case-name...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kubectl="${KUBECTL:-kubectl}"
command -v "$kubectl" >/dev/null || { echo "kubectl not found" >&2; exit 1; }
"$kubectl" version --client > "$here/KUBECTL_VERSION"

render() { # render CASE_DIR -> writes expected.yaml or expected-error.txt
  local case="$1" build dir tmp
  build="$(tr -d '\n' < "$case/build-path")"
  dir="$case/input/$build"
  rm -f "$case/expected.yaml" "$case/expected-error.txt"
  if [ ! -e "$dir/kustomization.yaml" ] && [ ! -e "$dir/kustomization.yml" ] && [ ! -e "$dir/Kustomization" ]; then
    # Flux's kustomize-controller generates a kustomization listing every manifest; do the same.
    tmp="$(mktemp -d)"
    cp -r "$dir/." "$tmp/"
    (cd "$tmp" && "$here/fluxgen.sh" . > kustomization.yaml)
    dir="$tmp"
  fi
  if "$kubectl" kustomize "$dir" > "$case/expected.yaml" 2> "$case/stderr.tmp"; then
    rm -f "$case/stderr.tmp"
  else
    rm -f "$case/expected.yaml"
    # Drop klog's time/pid prefix so the fixture only changes when the message does.
    sed -e "s#$here/##g" -e 's/^E[0-9]* [0-9:.]* *[0-9]* [a-z_.]*:[0-9]*\] //' "$case/stderr.tmp" > "$case/expected-error.txt"
    rm -f "$case/stderr.tmp"
  fi
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
  return 0
}

if [ "$#" -gt 0 ]; then
  for name in "$@"; do render "$here/cases/$name"; done
else
  for c in "$here"/cases/*/; do render "${c%/}"; done
fi
