#!/usr/bin/env bash
# Starts the control plane with the demo configuration (examples/demo/) on two nodes, in the
# foreground (Ctrl-C stops it). State lives in .ambit-state/ unless AMBIT_STATE_DIR is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export AMBIT_STATE_DIR="${AMBIT_STATE_DIR:-$PWD/.ambit-state}"
exec ./bin/ambit.js controlplane --config-dir examples/demo \
  --node node-1=10.244.1.0/24 --node node-2=10.244.2.0/24 "$@"
