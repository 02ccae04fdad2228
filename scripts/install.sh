#!/usr/bin/env bash
# Installs everything Ambit needs on a fresh Debian machine (run as root, or with sudo available).
#   scripts/install.sh              system packages, npm dependencies, build
#   scripts/install.sh --deps-only  the same; kept as the CI entry (no demo start)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages the mesh and its tests use. apt-get update runs once, only when something is missing.
PKGS=(openssl iproute2 iptables curl ca-certificates tcpdump)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The native addon (native/, SO_ORIGINAL_DST) is compiled by node-gyp: a C compiler, make, python3.
for tool in g++ make python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> installing npm dependencies"
npm ci --no-fund --no-audit --loglevel=error
echo "==> building"
# The native addon (SO_ORIGINAL_DST) is built by node-gyp against the installed Node's headers when
# the distribution ships them, so the build needs no download.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
npm run --silent build

# The `ambit` command on PATH (a link to this checkout), unless only the dependencies were asked for.
if [ "${1:-}" != "--deps-only" ]; then
  target="/usr/local/bin/ambit"
  if [ -w "$(dirname "$target")" ] || [ -n "$SUDO" ]; then
    $SUDO ln -sf "$PWD/bin/ambit.js" "$target"
    echo "==> ambit is on PATH ($target -> $PWD/bin/ambit.js)"
  fi
fi
