/**
 * `npm run bench:oidc`: what the OpenID Connect provider (issue 14) costs the daemon. Runs
 * `node bin/foyer.js serve` (the compiled code) on a fresh data dir on a private engine and reports:
 * - the daemon's RSS at idle before anything asked for /oidc (the provider is not loaded);
 * - the first discovery request: oidc-provider imported, the signing key made (RSA 2048) and
 *   stored, the provider built; and the RSS once it has settled;
 * - a second request (the provider warm), and after a restart the first request again (the
 *   keys are read, not made).
 * Run `npm run build` first. Uses FOYER_TEST_DOCKER_HOST, else a private engine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAt, ensureTestImages, startPrivateEngine } from '../test/support/index.js';
import { freePort } from '../test/support/ports.js';
import { statusMiB } from '../test/support/process-memory.js';

const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const privateEngine = process.env.FOYER_TEST_DOCKER_HOST ? undefined : await startPrivateEngine();
const engine = engineAt(process.env.FOYER_TEST_DOCKER_HOST ?? privateEngine!.host);
await ensureTestImages(engine);
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-oidc-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;

async function start(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/foyer.js', 'serve'], {
    env: {
      ...process.env,
      DOCKER_HOST: engine.host,
      FOYER_DATA_DIR: dataDir,
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
  });
  while (!out.includes('Foyer is running at')) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
    await sleep(50);
  }
  return child;
}

async function timed(path: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`);
  await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return performance.now() - started;
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const discovery = '/oidc/.well-known/openid-configuration';
let daemon = await start();
await sleep(IDLE_MS);
const idleBefore = statusMiB(daemon.pid!);
const firstMs = await timed(discovery);
const warmMs = await timed('/oidc/jwks');
await sleep(IDLE_MS);
const idleAfter = statusMiB(daemon.pid!);
await stop(daemon);
daemon = await start();
const afterRestartMs = await timed(discovery);
await stop(daemon);
await privateEngine?.stop();

const f = (n: number) => n.toFixed(1);
console.log(`idle RSS before /oidc: ${f(idleBefore)} MiB`);
console.log(`first discovery (import + new RSA key + provider): ${f(firstMs)} ms`);
console.log(`a second request (JWKS, warm): ${f(warmMs)} ms`);
console.log(
  `idle RSS with the provider loaded: ${f(idleAfter)} MiB (+${f(idleAfter - idleBefore)} MiB)`,
);
console.log(`first discovery after a restart (keys read): ${f(afterRestartMs)} ms`);
