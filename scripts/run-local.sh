#!/usr/bin/env bash
# Starts Fleet locally, the embedded default: one silo on SQLite (data under .data/) with the gateway in-process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec dotnet run --project src/Silo -- --Fleet:DataDirectory=.data "$@"
