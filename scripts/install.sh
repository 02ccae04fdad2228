#!/usr/bin/env bash
# Installs everything Ambit needs on a fresh Debian machine (run as root, or with sudo available).
#   scripts/install.sh              system packages, npm dependencies, build
#   scripts/install.sh --deps-only  the same; kept as the CI entry (no demo start)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages the mesh and its tests use. apt-get update runs once, only when something is missing.
PKGS=(openssl iproute2 iptables curl ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> installing npm dependencies"
npm ci --no-fund --no-audit --loglevel=error
echo "==> building"
npm run --silent build
