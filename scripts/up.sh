#!/usr/bin/env bash
# Quick start on a fresh Debian machine with Node.js and npm: run from the repository root as
# root (or with sudo). Installs Docker if needed, makes sure its engine runs, installs and builds
# Foyer, then runs the daemon: on a machine with systemd as the foyer.service system service
# (enabled at boot, logs in the journal; issue 12 §5), elsewhere in the foreground. Safe to run
# again: while Foyer runs, it says where and exits 0, touching nothing (issue 11 §5).
#
# It honours DOCKER_HOST (an engine elsewhere: used as it is, never started here),
# FOYER_DATA_DIR, FOYER_PORT and FOYER_HOST like the daemon (the unit keeps them),
# FOYER_UP_SKIP_BUILD=1 (use the build that is there instead of npm ci; the tests run it that
# way) and FOYER_UP_FOREGROUND=1 (run in the foreground even with systemd).
# FOYER_UP_SYSTEMD_DIR and FOYER_UP_UNIT_DIR move where systemd is looked for and where the
# unit goes, for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }
# dockerd lives in /usr/sbin, which a sudo or su PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
command -v node >/dev/null && command -v npm >/dev/null ||
  die "Node.js 20 or later and npm are needed first (apt-get install -y nodejs npm)"
# The floor of engines.node in package.json (vite needs 20.19; scripts/check-engines.ts).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node.js 20.19 or later (or 22.12 or later) is needed; this is $(node --version)"

# systemd runs the machine when this folder exists (sd_booted(3)); systemctl alone says nothing:
# Debian containers have it without systemd running.
SYSTEMD_DIR="${FOYER_UP_SYSTEMD_DIR:-/run/systemd/system}"
UNIT_DIR="${FOYER_UP_UNIT_DIR:-/etc/systemd/system}"
with_systemd() {
  [ "${FOYER_UP_FOREGROUND:-}" != 1 ] && [ -d "$SYSTEMD_DIR" ] && command -v systemctl >/dev/null
}

PORT="${FOYER_PORT:-8420}"
HOST="${FOYER_HOST:-0.0.0.0}"
DATA_DIR="${FOYER_DATA_DIR:-/var/lib/foyer}"

# Is Foyer already running here? "foyer" (its socket or its port answers as Foyer does),
# "other" (something else holds the port) or "free".
probe() {
  node - "$HOST" "$PORT" "$DATA_DIR/foyer.sock" <<'PROBE'
const http = require('node:http');
const [host, port, socketPath] = process.argv.slice(2);
const ask = (where) => new Promise((done) => {
  const req = http.get({ ...where, path: '/api/health', timeout: 2000 }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => {
      try { done(JSON.parse(body).status === 'ok' ? 'foyer' : 'other'); } catch { done('other'); }
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => done(['ECONNREFUSED', 'ENOENT', 'EADDRNOTAVAIL'].includes(e.code) ? 'free' : 'other'));
});
(async () => {
  if ((await ask({ socketPath })) === 'foyer') return console.log('foyer');
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  console.log(await ask({ host: address, port: Number(port) }));
})();
PROBE
}

# Where Foyer can be opened, as its start-up banner says it (dist/server/addresses.js).
addresses() {
  if [ -f dist/server/addresses.js ]; then
    node --input-type=module - "$HOST" "$PORT" <<'URLS' || true
const [host, port] = process.argv.slice(2);
const { reachableUrls } = await import(`${process.cwd()}/dist/server/addresses.js`);
const { local, network } = reachableUrls(host, Number(port));
console.log(`    on this machine:  ${local}`);
for (const url of network) console.log(`    on your network:  ${url}`);
URLS
  else
    printf '    on this machine:  http://localhost:%s/\n' "$PORT"
  fi
}

case "$(probe)" in
  foyer)
    say "Foyer is already running; nothing to do"
    addresses
    if [ -s "$DATA_DIR/setup-code" ]; then
      printf '\n  First-run setup code: %s\n' "$(cat "$DATA_DIR/setup-code")"
    fi
    if with_systemd && systemctl is-active --quiet foyer.service 2>/dev/null; then
      printf '\n  It runs as the foyer.service system service. Its logs: journalctl -u foyer -f'
      printf '\n  To stop it: systemctl stop foyer (and systemctl disable foyer to keep it stopped after a reboot)\n'
      exit 0
    fi
    printf '\n  To stop it: Ctrl-C in the terminal that runs it'
    if [ -s "$DATA_DIR/foyer.pid" ]; then printf ', or: kill %s' "$(cat "$DATA_DIR/foyer.pid")"; fi
    printf '\n'
    exit 0
    ;;
  other)
    die "port $PORT is in use by another program; run again with FOYER_PORT set to a free port"
    ;;
esac

if [ -n "${DOCKER_HOST:-}" ]; then
  # An engine named by DOCKER_HOST is someone else's to run: use it, or say it does not answer.
  command -v docker >/dev/null || die "DOCKER_HOST is set but the docker command is missing (apt-get install docker.io)"
  docker info >/dev/null 2>&1 || die "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer"
  say "Using the Docker engine at $DOCKER_HOST"
elif command -v dockerd >/dev/null && command -v docker >/dev/null; then
  say "Docker is installed"
else
  command -v apt-get >/dev/null || die "Docker is missing and apt-get is not available to install it"
  say "Installing Docker (apt-get install docker.io)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  :
elif docker info >/dev/null 2>&1; then
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

if [ "${FOYER_UP_SKIP_BUILD:-}" = 1 ]; then
  [ -f dist/bundle/main.mjs ] || die "FOYER_UP_SKIP_BUILD=1 but there is no build in dist/; run npm ci"
  say "Using the build in dist/ (FOYER_UP_SKIP_BUILD=1)"
else
  say "Installing dependencies and building Foyer (npm ci)"
  npm ci
fi

if ! with_systemd; then
  say "Starting Foyer on port $PORT (Ctrl-C stops it; the apps keep running in Docker)"
  exec node bin/foyer.js serve
fi

# A system service: started at boot after Docker, restarted if it fails, logging to the journal.
# The unit is made for this clone, this Node.js and this environment (foyer service-unit).
UNIT="$UNIT_DIR/foyer.service"
say "Installing the foyer.service system service ($UNIT)"
mkdir -p "$UNIT_DIR"
FOYER_DATA_DIR="$DATA_DIR" node bin/foyer.js service-unit >"$UNIT.tmp"
mv "$UNIT.tmp" "$UNIT"
systemctl daemon-reload
systemctl enable foyer.service >/dev/null 2>&1 || die "systemctl enable foyer.service failed"
say "Starting Foyer on port $PORT (systemctl restart foyer)"
systemctl restart foyer.service || die "foyer.service did not start; see: journalctl -u foyer -n 50"
for _ in $(seq 1 60); do
  [ "$(probe)" = foyer ] && break
  sleep 1
done
[ "$(probe)" = foyer ] || die "Foyer does not answer after 60 s; see: journalctl -u foyer -n 50"
say "Foyer is running as a system service; it starts again at boot"
addresses
if [ -s "$DATA_DIR/setup-code" ]; then
  printf '\n  First-run setup code: %s\n' "$(cat "$DATA_DIR/setup-code")"
  printf '  Open the address above in a browser and type this code to create the first admin account.\n'
fi
printf '\n  Its logs:    journalctl -u foyer -f'
printf '\n  To stop it:  systemctl stop foyer (and systemctl disable foyer to keep it stopped after a reboot)\n'
