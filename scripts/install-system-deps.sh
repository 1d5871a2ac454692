#!/usr/bin/env bash
# Installs the Debian packages srekit's stack and tests run, when missing.
# With the argument "bench" it also installs the peer tools the benchmarks
# run side by side. Each line below pairs a file that the package provides
# with the package.
set -euo pipefail

requirements=(
  "/usr/bin/prometheus prometheus"
  "/usr/bin/promtool prometheus"
  "/usr/bin/prometheus-alertmanager prometheus-alertmanager"
  "/usr/bin/amtool prometheus-alertmanager"
  "/usr/bin/prometheus-node-exporter prometheus-node-exporter"
  "/usr/lib/postgresql/*/bin/initdb postgresql"
  "/usr/bin/chromium chromium"
)

if [ "${1:-}" = "bench" ]; then
  requirements+=(
    "/usr/bin/restic restic"
    "/usr/bin/borg borgbackup"
    "/usr/bin/zstd zstd"
  )
fi

missing=()
for requirement in "${requirements[@]}"; do
  read -r pattern package <<<"$requirement"
  # The pattern may hold a glob (the PostgreSQL major version), so expand it.
  # shellcheck disable=SC2086
  if ! compgen -G "$pattern" >/dev/null; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "installing Debian packages: ${packages[*]}" >&2
sudo_prefix=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_prefix=(sudo)
fi
"${sudo_prefix[@]}" apt-get update -qq
# The packages try to start their services, which fails harmlessly where
# systemd is not running; srekit starts the binaries itself.
DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" \
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
