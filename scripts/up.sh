#!/usr/bin/env bash
# Quick start on a fresh Debian machine with Node.js and npm: run from the repository root as
# root (or with sudo). Installs Docker if needed, makes sure its engine runs, installs and builds
# Foyer, then runs the daemon in the foreground. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }
# dockerd lives in /usr/sbin, which a sudo or su PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
command -v node >/dev/null && command -v npm >/dev/null ||
  die "Node.js 20 or later and npm are needed first (apt-get install -y nodejs npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "Node.js 20 or later is needed; this is $(node --version)"

if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  say "Docker is installed"
else
  command -v apt-get >/dev/null || die "Docker is missing and apt-get is not available to install it"
  say "Installing Docker (apt-get install docker.io)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

if docker info >/dev/null 2>&1; then
  say "The Docker engine is running"
else
  if [ -d /run/systemd/system ]; then
    say "Starting the Docker engine (systemctl start docker)"
    systemctl start docker
  else
    # No systemd to supervise it: run it detached, in its own session, logging to a file.
    say "Starting dockerd in the background (log: /var/log/foyer-dockerd.log)"
    setsid dockerd >>/var/log/foyer-dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 ||
    die "the Docker engine did not start within 60s; see /var/log/foyer-dockerd.log or journalctl -u docker"
  say "The Docker engine is running"
fi

say "Installing dependencies and building Foyer (npm ci)"
npm ci

say "Starting Foyer on port ${FOYER_PORT:-8420} (Ctrl-C stops it; Docker keeps running)"
exec node bin/foyer.js serve
