// The newcomer's path (issue 11 §5): `scripts/up.sh` as a person runs it, against the test
// engine (DOCKER_HOST), on a temp data dir and a free port, with the build that is there
// (FOYER_UP_SKIP_BUILD=1: no npm ci, no apt-get). The first run prints a banner with a LAN URL
// and the setup code in plain lines; a second run while Foyer runs says so and exits 0 without
// touching it; a second daemon on the same port says why in one line and exits 1.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lanAddresses } from '../../server/addresses.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await useTestEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-up-data-'));
const port = await freePort();
let first: ChildProcess | undefined;
let output = '';

/** The environment a person would have, pointed at the test engine, data dir and port. */
function upEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: engine.host,
    FOYER_DATA_DIR: dataDir,
    FOYER_PORT: String(port),
    FOYER_UP_SKIP_BUILD: '1',
    FOYER_RESYNC_MS: '1000',
  };
  for (const name of ['FOYER_HOST', 'FOYER_LOG_FORMAT', 'FOYER_URL', 'FOYER_TOKEN'])
    delete env[name];
  return env;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  assert.ok(
    existsSync(join(root, 'dist/bundle/main.mjs')),
    'no build in dist/: run `npm run build` first',
  );
  first = spawn('bash', ['scripts/up.sh'], { cwd: root, env: upEnv() });
  const child = first;
  child.stdout?.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c;
  });
  await eventually(
    'up.sh to print its banner',
    () => {
      if (child.exitCode !== null) throw new Error(`up.sh exited ${child.exitCode}: ${output}`);
      return /First-run setup code: \S+[\s\S]*in a browser/.test(output);
    },
    60_000,
  );
});

after(async () => {
  if (first && first.exitCode === null && first.signalCode === null) {
    const exited = new Promise((r) => first!.once('exit', r));
    first.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('the banner shows a LAN URL that answers and the setup code, in plain lines', async () => {
  const lines = output.split('\n');
  assert.ok(lines.some((l) => l.startsWith(`Foyer is running at http://localhost:${port}/`)));
  const lan = lanAddresses();
  assert.ok(lan.length > 0, 'this machine has no LAN address to show');
  const shown = lines.find((l) => l.includes('From other devices on your network:'));
  assert.ok(shown, output);
  const url = /http:\/\/\S+\//.exec(shown)![0];
  assert.equal(url, `http://${lan[0]}:${port}/`);
  const health = await fetch(`${url}api/health`);
  assert.equal(health.status, 200);
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  // A line of its own, not a field of a JSON log record.
  assert.ok(lines.includes(`  First-run setup code: ${code}`), output);
});

test('running up.sh again while Foyer runs says so, exits 0 and leaves it running', async () => {
  const again = await run('bash', ['scripts/up.sh'], upEnv());
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Foyer is already running; nothing to do/);
  assert.match(again.stdout, new RegExp(`on your network: +http://[^\\s]+:${port}/`));
  assert.match(again.stdout, /To stop it: Ctrl-C in the terminal that runs it, or: kill \d+/);
  assert.doesNotMatch(again.stdout + again.stderr, /npm ci|EADDRINUSE|Starting Foyer/);
  assert.equal(first?.exitCode, null, 'the running Foyer must be left alone');
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
});

test('a second daemon on the same port says why in one line and exits 1', async () => {
  const otherData = mkdtempSync(join(tmpdir(), 'foyer-up-other-'));
  try {
    const env = { ...upEnv(), FOYER_DATA_DIR: otherData };
    const second = await run(process.execPath, ['bin/foyer.js', 'serve'], env);
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `foyer serve: cannot listen on 0.0.0.0:${port}: port ${port} is already in use (another Foyer, or another program); set FOYER_PORT or FOYER_HOST\n`,
    );
    // Same data dir: refused before the running daemon's store or socket is touched.
    const same = await run(process.execPath, ['bin/foyer.js', 'serve'], upEnv());
    assert.equal(same.code, 1);
    assert.match(same.stderr, /^foyer serve: Foyer is already running with the data folder .*\n$/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
  } finally {
    rmSync(otherData, { recursive: true, force: true });
  }
});

test('Ctrl-C (SIGINT) stops Foyer cleanly and removes its pid file', async () => {
  assert.ok(existsSync(join(dataDir, 'foyer.pid')));
  const exited = new Promise<number | null>((r) => first!.once('exit', (code) => r(code)));
  first!.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.equal(existsSync(join(dataDir, 'foyer.pid')), false);
  assert.equal(existsSync(join(dataDir, 'foyer.sock')), false);
});
