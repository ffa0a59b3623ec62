#!/usr/bin/env bash
# Installs what pipehost needs to build and test, from Debian's packages,
# when it is missing, and any further packages named as arguments (the
# benchmark's, say). Safe to run again: it installs nothing that is there.
set -euo pipefail

packages=(
  gcc make cmake pkg-config
  librdkafka-dev libjansson-dev libyaml-dev libcmocka-dev
  kcat python3 python3-confluent-kafka python3-kafka
  time gnuplot-nox
  libsqlite3-dev sqlite3 libpq-dev postgresql libmicrohttpd-dev
  clang libclang-rt-14-dev
  "$@"
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run as root or install sudo: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
