// `scripts/up.sh` on a machine with systemd (issue 12 §5), with a stand-in `systemctl` (this
// machine's PID 1 is not systemd): up.sh must write foyer.service, reload, enable and restart
// it, wait until Foyer answers and say how to follow and stop it. The stand-in starts what the
// unit's ExecStart and Environment say, so the unit itself is what brings Foyer up; a second
// up.sh says it runs as a system service and touches nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await useTestEngine();
const dir = mkdtempSync(join(tmpdir(), 'foyer-up-systemd-'));
const dataDir = join(dir, 'data');
const port = await freePort();
mkdirSync(join(dir, 'run-systemd'));
mkdirSync(join(dir, 'bin'));
const pidFile = join(dir, 'service.pid');
const calls = join(dir, 'systemctl.log');

// Starts a unit as systemd would, as far as this test needs: ExecStart's quoted words, with
// only the unit's Environment= (and PATH), detached, its output to a file.
writeFileSync(
  join(dir, 'start-unit.mjs'),
  `import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
const [unit, pidFile, logFile] = process.argv.slice(2);
const unquote = (s) => [...s.matchAll(/"((?:[^"\\\\]|\\\\.)*)"|(\\S+)/g)].map((m) =>
  (m[1] ?? m[2]).replace(/\\\\(.)/g, '$1').replace(/%%/g, '%').replace(/\\$\\$/g, '$'));
const env = { PATH: process.env.PATH };
let exec;
for (const line of readFileSync(unit, 'utf8').split('\\n')) {
  if (line.startsWith('Environment=')) for (const kv of unquote(line.slice(12))) {
    const at = kv.indexOf('='); env[kv.slice(0, at)] = kv.slice(at + 1);
  }
  if (line.startsWith('ExecStart=')) exec = unquote(line.slice(10));
}
const out = openSync(logFile, 'a');
const child = spawn(exec[0], exec.slice(1), { env, detached: true, stdio: ['ignore', out, out] });
writeFileSync(pidFile, String(child.pid));
child.unref();
`,
);
writeFileSync(
  join(dir, 'bin/systemctl'),
  `#!/bin/bash
echo "$*" >> ${JSON.stringify(calls)}
case "$1" in
  restart) node ${JSON.stringify(join(dir, 'start-unit.mjs'))} "$FOYER_UP_UNIT_DIR/$2" ${JSON.stringify(pidFile)} ${JSON.stringify(join(dir, 'service.log'))} ;;
  is-active) [ -s ${JSON.stringify(pidFile)} ] && kill -0 "$(cat ${JSON.stringify(pidFile)})" 2>/dev/null ;;
esac
`,
);
chmodSync(join(dir, 'bin/systemctl'), 0o755);

function upEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    DOCKER_HOST: engine.host,
    FOYER_DATA_DIR: dataDir,
    FOYER_PORT: String(port),
    FOYER_UP_SKIP_BUILD: '1',
    FOYER_UP_SYSTEMD_DIR: join(dir, 'run-systemd'),
    FOYER_UP_UNIT_DIR: join(dir, 'units'),
  };
  for (const name of ['FOYER_HOST', 'FOYER_LOG_FORMAT', 'FOYER_UP_FOREGROUND']) delete env[name];
  return env;
}

function up(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['scripts/up.sh'],
      { cwd: root, env: upEnv(), timeout: 90_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

after(async () => {
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('with systemd, up.sh installs, enables and starts foyer.service and says how to follow it', async () => {
  const first = await up();
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const unit = readFileSync(join(dir, 'units/foyer.service'), 'utf8');
  assert.match(unit, /^After=docker\.service network-online\.target$/m);
  assert.match(unit, new RegExp(`^Environment="FOYER_DATA_DIR=${dataDir}"$`, 'm'));
  assert.match(unit, new RegExp(`^Environment="FOYER_PORT=${port}"$`, 'm'));
  assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
    'daemon-reload',
    'enable foyer.service',
    'restart foyer.service',
  ]);
  assert.match(first.stdout, /Foyer is running as a system service; it starts again at boot/);
  assert.match(first.stdout, /Its logs: +journalctl -u foyer -f/);
  assert.match(first.stdout, /To stop it: +systemctl stop foyer/);
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  assert.ok(first.stdout.includes(`First-run setup code: ${code}`), first.stdout);
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);

  const again = await up();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Foyer is already running; nothing to do/);
  assert.match(again.stdout, /foyer\.service system service[\s\S]*systemctl stop foyer/);
  assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 4, 'only is-active');

  // What `systemctl stop foyer` sends: the daemon stops cleanly.
  const pid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(pid, 'SIGTERM');
  await eventually('the service to stop', () => !alive(pid), 15_000);
  assert.equal(existsSync(join(dataDir, 'foyer.sock')), false);
  assert.equal(existsSync(join(dataDir, 'foyer.pid')), false);
});
