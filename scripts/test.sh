#!/usr/bin/env bash
# Runs every Fleet test: installs what the tests need, builds the solution, runs all test projects,
# and ends with one line of totals: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || exit 1

results=.tmp/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build Fleet.sln -nologo -v quiet -clp:ErrorsOnly
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Fleet.sln --no-build -nologo -v quiet \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
rc=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; echo "dotnet test exited with $rc"; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
