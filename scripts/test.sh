#!/usr/bin/env bash
# The whole test suite: static checks, unit + integration tests (real Redis, a real 3-node Redis
# Cluster, real PostgreSQL, the real SQS protocol), infrastructure tests and an offline `cdk synth`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "typecheck"
npx tsc -p tsconfig.json --noEmit

step "lint"
npx biome check .

step "unit and integration tests"
npx vitest run

if [ -f vitest.infra.config.ts ]; then
  step "infrastructure tests"
  npx vitest run --config vitest.infra.config.ts
fi

if [ -f cdk.json ]; then
  step "cdk synth (offline)"
  npx cdk synth --quiet > /dev/null
  echo "cdk synth: ok"
fi
