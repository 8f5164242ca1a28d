#!/usr/bin/env bash
# Installs what Fleet and its tests need on a fresh Debian machine of this kind. Idempotent.
# As root it installs missing Debian packages; otherwise it says what is missing and carries on.
set -euo pipefail

need=()
command -v git >/dev/null 2>&1 || need+=(git)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
# The real kube-apiserver of the Kubernetes tests (../shared/tools/kube/kube-real) runs on Debian's etcd.
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The reference Helm (../shared/tools/helm) and kube-real unpack themselves with xz on first use.
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
# The Helm OCI tests push and pull charts through Debian's docker-registry (Docker Registry HTTP API v2) on loopback;
# the console's browser tests and bench/ConsoleBench drive Debian's headless Chromium with Debian's chromedriver.
if [ "${1:-}" = "--tests" ]; then
  [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
fi

# The gRPC interoperability tests (tests/Grpc.Tests) drive the API with Debian's python3-grpcio, whose stubs Debian's
# protoc and grpc_python_plugin generate (well-known types from libprotobuf-dev, reflection and health from grpc-proto).
if [ "${1:-}" = "--tests" ]; then
  [ -d /usr/lib/python3/dist-packages/grpc ] || need+=(python3-grpcio python3-protobuf)
  command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
  [ -x /usr/bin/grpc_python_plugin ] || need+=(protobuf-compiler-grpc)
  [ -f /usr/include/google/protobuf/struct.proto ] || need+=(libprotobuf-dev)
  [ -d /usr/share/grpc-proto ] || need+=(grpc-proto)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || echo "install-deps: apt-get could not install all of: ${need[*]} (tests that need them will skip and say so)"
  else
    echo "install-deps: not root, so not installing: ${need[*]} (tests that need them will skip and say so)"
  fi
fi

# Azurite (Azure Storage emulator, npm) for the Azure Storage backend's tests, and @grpc/grpc-js with
# @grpc/proto-loader for the gRPC interoperability tests, into .tmp/npm (not committed).
if [ "${1:-}" != "--tests" ]; then
  :
elif command -v npm >/dev/null 2>&1; then
  if [ ! -x .tmp/npm/node_modules/.bin/azurite ]; then
    echo "install-deps: installing azurite from npm into .tmp/npm"
    mkdir -p .tmp/npm
    npm install --prefix .tmp/npm --no-audit --no-fund --loglevel=error azurite@3 >/dev/null 2>&1 \
      || echo "install-deps: npm could not install azurite; the Azure Storage tests will skip"
  fi
  if [ ! -d .tmp/npm/node_modules/@grpc/grpc-js ] || [ ! -d .tmp/npm/node_modules/@grpc/proto-loader ]; then
    echo "install-deps: installing @grpc/grpc-js and @grpc/proto-loader from npm into .tmp/npm"
    mkdir -p .tmp/npm
    npm install --prefix .tmp/npm --no-audit --no-fund --loglevel=error @grpc/grpc-js@1 @grpc/proto-loader@0 >/dev/null 2>&1 \
      || echo "install-deps: npm could not install @grpc/grpc-js; the Node gRPC client tests will skip"
  fi
else
  echo "install-deps: npm not found; the Azure Storage and Node gRPC client tests will skip"
fi

command -v dotnet >/dev/null 2>&1 || { echo "install-deps: the .NET SDK (dotnet) is not on PATH; install .NET 10" >&2; exit 1; }
command -v kubectl >/dev/null 2>&1 || echo "install-deps: kubectl not found; the kubectl conformance tests will skip"
exit 0
