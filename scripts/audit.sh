#!/usr/bin/env bash
# npm audit of production dependencies. Fails on high/critical advisories. When the registry's
# audit endpoint cannot be reached (it answers 405 on some mirrors), says so loudly and goes on:
# no advisory data is not the same as a vulnerability.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
code=$?
echo "$out" | grep -v 'Unknown user config' | tail -20
if [ $code -ne 0 ]; then
  if echo "$out" | grep -q 'audit endpoint returned an error'; then
    echo "WARNING: npm audit could not reach the advisory endpoint; dependencies were not audited." >&2
    exit 0
  fi
  exit $code
fi
