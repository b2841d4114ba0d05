#!/usr/bin/env bash
# The whole test suite: static checks, unit + integration tests (real Redis, a real 3-node Redis
# Cluster, real PostgreSQL, the real SQS protocol), infrastructure tests and an offline `cdk synth`.
# Ends with one line `tests: N passed, N failed` counting every vitest test of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node line (package.json engines), or a clear message: `source scripts/ensure-node.sh`.
node scripts/check-node.mjs

step() { printf '\n=== %s ===\n' "$*"; }
results_dir="$(mktemp -d)"
trap 'rm -rf "$results_dir"' EXIT
status=0

step "typecheck"
npx tsc -p tsconfig.json --noEmit
# The demo pages: DOM types, no Node types (demo/tsconfig.json).
npx tsc -p demo/tsconfig.json --noEmit

step "lint"
npx biome check .

step "unit and integration tests"
npx vitest run --reporter=default --reporter=json --outputFile="$results_dir/unit.json" || status=$?

step "infrastructure tests"
npx vitest run --config vitest.infra.config.ts --reporter=default --reporter=json \
  --outputFile="$results_dir/infra.json" || status=$?

step "cdk synth (offline)"
npx cdk synth --quiet > /dev/null
echo "cdk synth: ok"

node -e '
  const { readFileSync, existsSync } = require("node:fs");
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    if (!existsSync(file)) { failed += 1; continue; }
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$results_dir/unit.json" "$results_dir/infra.json"
exit "$status"
