#!/usr/bin/env bash
# Prints the kustomization Flux's kustomize-controller generates for a directory
# without one: every .yaml/.yml file below it, and subdirectories that have
# their own kustomization as a whole (sorted, hidden entries skipped).
set -euo pipefail
root="$1"
echo "apiVersion: kustomize.config.k8s.io/v1beta1"
echo "kind: Kustomization"
echo "resources:"
scan() {
  local d="$1" rel e name
  for e in $(cd "$root/$d" && LC_ALL=C ls -A | LC_ALL=C sort); do
    case "$e" in .*) continue;; esac
    rel="${d:+$d/}$e"
    if [ -d "$root/$rel" ]; then
      if [ -e "$root/$rel/kustomization.yaml" ] || [ -e "$root/$rel/kustomization.yml" ] || [ -e "$root/$rel/Kustomization" ]; then
        echo "- $rel"
      else
        scan "$rel"
      fi
    else
      case "$e" in *.yaml|*.yml|*.YAML|*.YML) [ "$rel" = kustomization.yaml ] || echo "- $rel";; esac
    fi
  done
}
scan ""
