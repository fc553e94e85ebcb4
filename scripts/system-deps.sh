#!/usr/bin/env bash
# Make sure the Debian binaries the test suite and the demo drive are present.
# Installs what is missing when it can (root, or passwordless sudo); otherwise says
# exactly what to install and carries on, so the tests that need a binary skip with a reason.
set -euo pipefail

declare -A package_of=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter
  [chromium]=chromium
  [docker-compose]=docker-compose
)

missing=()
for binary in "${!package_of[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("${package_of[$binary]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${packages[*]} and no apt-get here; install them with your package manager (tests needing them will skip)" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: missing ${packages[*]}; run: sudo apt-get install -y ${packages[*]} (tests needing them will skip)" >&2
  exit 0
fi
echo "system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
