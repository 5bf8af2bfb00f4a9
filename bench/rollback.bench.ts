/**
 * `npm run bench:rollback`: how long a failed update takes to be back on the old version,
 * healthy (issue 15: ≤ 30 s + image start). `foyer serve` runs as a real child process on the
 * engine named by FOYER_TEST_DOCKER_HOST (else a private one), with a local catalogue app
 * whose images come from a registry on loopback. Each round offers a version that overwrites
 * its data and fails its health check, runs `foyer update --wait`, and measures from the moment
 * the update is judged failed (its stored phase turns `restoring`) to the old version's
 * container running the old image and healthy. "Image start" is measured on the same app:
 * its container stopped, then started, until healthy. Needs `npm run build` (the daemon runs
 * from dist/).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connectDocker } from '../server/docker/dockerode-adapter.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { spawnDaemon } from '../test/support/foyer.js';
import { BUSYBOX_IMAGE } from '../test/support/index.js';
import { startRegistry } from '../test/support/registry.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_S = 30;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/foyer.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const HEALTHY = 'mkdir -p /tmp/www && echo ok > /tmp/www/ok && exec httpd -f -p 8080 -h /tmp/www';
const BROKEN =
  'echo v2 overwrote it > /data/precious; echo "vault 2: the data format changed" >&2; ' +
  'exec httpd -f -p 8080 -h /data';

const { engine, stop } = await openBenchEngine();
const registry = await startRegistry({ stopAfterTests: false });
const docker = await connectDocker(engine.host);
const id = `rbbench${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-rollback-'));
const catalog = mkdtempSync(join(tmpdir(), 'foyer-bench-rollback-catalog-'));
const appDir = join(catalog, 'vault');
const V1 = `${registry.address}/vault:1`;
const V2 = `${registry.address}/vault:2`;
const container = `${id}-web-1`;

function foyer(...args: string[]): Promise<{ code: number; out: string }> {
  const env = { ...process.env, FOYER_DATA_DIR: dataDir };
  return new Promise((done) =>
    execFile(process.execPath, [bin, ...args], { env, timeout: 300_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

async function offer(version: string, image: string, command: string) {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'app.yaml'),
    `id: vault\nname: Vault\nversion: ${version}\npermissions: []\nupdate: { healthTimeout: 60 }\n`,
  );
  writeFileSync(
    join(appDir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      `    image: ${image}`,
      `    command: ["sh", "-c", ${JSON.stringify(command)}]`,
      '    volumes: [data:/data]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/ok"]',
      '      interval: 1s',
      '      timeout: 2s',
      '      retries: 2',
      '    stop_grace_period: 1s',
      'volumes: { data: {} }',
      '',
    ].join('\n'),
  );
  const run = await foyer('catalog', 'reload');
  if (run.code !== 0) throw new Error(run.out);
}

/** The newest update's row number and phase. */
function latest(): { n: number; phase?: string } {
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  try {
    const row = db
      .prepare('SELECT rowid AS n, phase FROM updates ORDER BY rowid DESC LIMIT 1')
      .get() as { n: number; phase: string } | undefined;
    return row ?? { n: 0 };
  } finally {
    db.close();
  }
}

async function healthyOn(image: string): Promise<boolean> {
  const details = await docker.inspectContainer(container);
  return details?.imageId === image && details.state.health?.status === 'healthy';
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 180_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** One failed update: seconds from "judged failed" to the old version healthy, and in all. */
async function failedUpdate(v1Image: string): Promise<{ rollback: number; total: number }> {
  await offer('2.0.0', V2, BROKEN);
  const before = latest().n;
  const start = performance.now();
  const update = foyer('update', id, '--wait');
  let failedAt = 0;
  await until('the update to be judged failed', () => {
    const now = latest();
    if (now.n > before && ['restoring', 'reverting', 'rolled-back'].includes(now.phase ?? '')) {
      failedAt = performance.now();
      return true;
    }
    return false;
  });
  await until('the old version to be healthy', () => healthyOn(v1Image));
  const healthyAt = performance.now();
  const run = await update;
  if (run.code === 0 || !/rolled back to 1\.0\.0/.test(run.out))
    throw new Error(`the update was not rolled back:\n${run.out}`);
  return { rollback: (healthyAt - failedAt) / 1000, total: (healthyAt - start) / 1000 };
}

/** Seconds from `docker start` of the stopped v1 container to healthy. */
async function imageStart(v1Image: string): Promise<number> {
  await docker.stopContainer(container);
  const start = performance.now();
  await docker.startContainer(container);
  await until('the container to be healthy', () => healthyOn(v1Image));
  return (performance.now() - start) / 1000;
}

const daemonProcess = spawnDaemon(engine, dataDir, { FOYER_CATALOG: catalog });
try {
  await engine.docker(['tag', BUSYBOX_IMAGE, V1]);
  const maker = `${id}-image`;
  await engine.docker(['run', '--name', maker, BUSYBOX_IMAGE, 'sh', '-c', 'echo 2 > /v']);
  await engine.docker(['commit', maker, V2]);
  await engine.docker(['rm', maker]);
  for (const tag of [V1, V2]) await engine.docker(['push', tag]);
  await until('foyer serve to start', () => daemonProcess.output().includes('Foyer is running'));
  await offer('1.0.0', V1, HEALTHY);
  const installed = await foyer('install', 'vault', '--id', id, '--wait');
  if (installed.code !== 0) throw new Error(installed.out);
  const v1Image = (await docker.inspectContainer(container))?.imageId ?? '';

  const starts: number[] = [];
  const rollbacks: number[] = [];
  const totals: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    starts.push(await imageStart(v1Image));
    const { rollback, total } = await failedUpdate(v1Image);
    rollbacks.push(rollback);
    totals.push(total);
    console.log(
      `round ${round}: image start ${starts.at(-1)?.toFixed(1)} s, back on v1 healthy ` +
        `${rollback.toFixed(1)} s after the failure was judged (${total.toFixed(1)} s from \`foyer update\`)`,
    );
  }
  const start = median(starts);
  const rollback = median(rollbacks);
  const limit = TARGET_S + start;
  console.log(
    `\nfailed update back to the old version, healthy: median ${rollback.toFixed(1)} s ` +
      `(whole update ${median(totals).toFixed(1)} s); target ≤ ${TARGET_S} s + image start ` +
      `${start.toFixed(1)} s = ${limit.toFixed(1)} s: ${rollback <= limit ? 'met' : 'NOT met'}`,
  );
  if (rollback > limit) process.exitCode = 1;
} finally {
  await daemonProcess.kill('SIGTERM');
  for (const args of [
    ['rm', '-f', container],
    ['volume', 'rm', `${id}_data`],
    ['network', 'rm', `${id}_default`],
  ])
    await engine.docker(args).catch(() => {});
  await engine.docker(['rmi', V1, V2]).catch(() => {});
  await registry.stop();
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
}
