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
static_pid=""
# On an early exit (Ctrl-C) the background group goes too.
trap '[ -n "$static_pid" ] && kill -- "-$static_pid" 2>/dev/null; rm -rf "$results_dir"' EXIT
status=0

# The static checks, the infrastructure tests and the offline synth only use the CPU (tsc, biome,
# esbuild, CDK): they run beside the integration tests at the lowest priority (nice 19), on the CPU
# those leave idle while they wait on Redis, PostgreSQL, queues and timers, so they neither slow
# them nor add to the wall time. Their output is printed after the integration tests.
static_log="$results_dir/static.log"
export results_dir
# Its own session (setsid), so that an early exit stops the whole group, vitest's workers included.
setsid bash -c '
  static_status=0
  step() { printf "\n=== %s ===\n" "$*"; }
  step "typecheck (beside the integration tests, nice 19)"
  if nice -n 19 npx tsc -p tsconfig.json --noEmit &&
    nice -n 19 npx tsc -p demo/tsconfig.json --noEmit; then # the demo pages: DOM types, no Node types
    echo "typecheck: ok"
  else
    static_status=1
  fi
  step "lint (nice 19)"
  nice -n 19 npx biome check . || static_status=1
  step "infrastructure tests (nice 19)"
  nice -n 19 npx vitest run --config vitest.infra.config.ts --reporter=default --reporter=json \
    --outputFile="$results_dir/infra.json" || static_status=1
  step "cdk synth (offline, nice 19)"
  if nice -n 19 npx cdk synth --quiet > /dev/null; then echo "cdk synth: ok"; else static_status=1; fi
  exit "$static_status"
' > "$static_log" 2>&1 &
static_pid=$!

step "unit and integration tests"
npx vitest run --reporter=default --reporter=json --outputFile="$results_dir/unit.json" || status=$?

static_status=0
wait "$static_pid" || static_status=$?
static_pid=""
cat "$static_log"
if [ "$static_status" -ne 0 ]; then
  status=1
  echo "static checks, infrastructure tests or cdk synth: FAILED (above)"
fi

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
