#!/usr/bin/env bash
# Starts local mode with the demo (examples/demo/): two nodes as network namespaces, the control
# plane, a node proxy per node, and the httpbin, sleep and rogue pods in the ambient namespace
# `demo`. Runs in the foreground; Ctrl-C stops and removes everything. Needs root.
#   scripts/demo.sh           foreground
#   scripts/demo.sh -d        return once every pod is ready (stop later with `ambit down`)
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<'MSG'
==> starting the demo; from another terminal try:
      ambit exec -n demo deploy/sleep -- curl -s http://httpbin:8000/headers    # 200, over mTLS
      ambit exec -n demo deploy/rogue -- curl -s http://httpbin:8000/headers    # refused by policy
      ambit ztunnel-config workloads ; ambit status ; ambit describe pod -n demo <pod>
MSG
exec ./bin/ambit.js up -f examples/demo "$@"
