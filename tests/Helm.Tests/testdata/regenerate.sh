#!/bin/sh
# Regenerates expected.yaml (or expected-error.txt) of every case with the reference Helm.
# Usage: testdata/regenerate.sh [case...]   (run from anywhere; needs ../shared/tools/helm/helm beside the repository)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
helm="$here/../../../../shared/tools/helm/helm"
cd "$here"
cases=${*:-$(ls cases)}
for c in $cases; do
  rm -f "cases/$c/expected.yaml" "cases/$c/expected-error.txt"
  # shellcheck disable=SC2046
  if ! "$helm" $(cat "cases/$c/command") > "cases/$c/expected.yaml" 2> "cases/$c/stderr.txt"; then
    rm -f "cases/$c/expected.yaml"
    grep '^Error: ' "cases/$c/stderr.txt" | head -1 > "cases/$c/expected-error.txt"
  fi
  rm -f "cases/$c/stderr.txt"
  echo "$c"
done
