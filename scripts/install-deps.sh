#!/usr/bin/env bash
# Installs what Fleet and its tests need on a fresh Debian machine of this kind. Idempotent.
# As root it installs missing Debian packages; otherwise it says what is missing and carries on.
set -euo pipefail

need=()
command -v git >/dev/null 2>&1 || need+=(git)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
# The reference Helm (../shared/tools/helm) unpacks itself with xz on first use.
command -v xz >/dev/null 2>&1 || need+=(xz-utils)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install-deps: not root, so not installing: ${need[*]} (tests that need them will skip and say so)"
  fi
fi

command -v dotnet >/dev/null 2>&1 || { echo "install-deps: the .NET SDK (dotnet) is not on PATH; install .NET 10" >&2; exit 1; }
command -v kubectl >/dev/null 2>&1 || echo "install-deps: kubectl not found; the kubectl conformance tests will skip"
exit 0
