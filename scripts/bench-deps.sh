#!/usr/bin/env bash
# Installs the programs `npm run bench -- l4` drives, from Debian's packages, only those missing:
#   stunnel4  the stunnel two-hop mTLS anchor
#   haproxy   the HAProxy two-hop mTLS anchor
#   iperf3    single-stream throughput
#   wrk       HTTP requests/s and latency percentiles
#   openssl   the anchors' CA and certificates
# `apt-get update` runs once, and only when something is missing. Run as root (or with sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# package -> a program it installs (what the bench runs)
declare -A PROGRAM=([stunnel4]=stunnel4 [haproxy]=haproxy [iperf3]=iperf3 [wrk]=wrk [openssl]=openssl)

missing=()
for pkg in stunnel4 haproxy iperf3 wrk openssl; do
  command -v "${PROGRAM[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "==> installing benchmark packages: ${missing[*]}"
$SUDO apt-get update -qq
# iperf3's package asks whether to start a system daemon; the bench starts its own servers.
echo "iperf3 iperf3/start_daemon boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for pkg in "${missing[@]}"; do
  if ! command -v "${PROGRAM[$pkg]}" >/dev/null 2>&1; then
    echo "error: ${pkg} was installed but ${PROGRAM[$pkg]} is not on PATH" >&2
    exit 1
  fi
done
