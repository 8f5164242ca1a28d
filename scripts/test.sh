#!/usr/bin/env bash
# Runs every Fleet test: installs what the tests need, builds the solution, runs all test projects,
# and ends with one line of totals: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests || exit 1

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
  --logger "console;verbosity=minimal" --results-directory "$results" 2>&1 | tee "$results/test-output.log"
rc=${PIPESTATUS[0]}

# One summary line per test assembly: "Passed!  - Failed:     0, Passed:    87, Skipped: ..."
passed=0; failed=0
while read -r f p; do
  passed=$((passed + p)); failed=$((failed + f))
done < <(sed -n 's/.*\(Passed\|Failed\)! *- *Failed: *\([0-9]*\), *Passed: *\([0-9]*\),.*/\2 \3/p' "$results/test-output.log")
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; echo "dotnet test exited with $rc"; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
