/**
 * `npm run bench:daemon`: the daemon as people run it (`node bin/foyer.js
 * serve`, the compiled code) with 20 installs of the `triple` app already in
 * its store and running. Reports:
 * - start-up to ready: from spawn to the first answer of /api/health, and
 *   the daemon's own "ready in" figure (target: under 1.5 s);
 * - resident memory after it has settled and sat idle (VmRSS from
 *   /proc/<pid>/status, with its anonymous and file-backed parts; target: at
 *   most 64 MiB, issue 12 §5). The exit code is 1 when a target is missed.
 *
 * Run `npm run build` first. Uses FOYER_TEST_DOCKER_HOST, else a private engine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../server/store/index.js';
import { addInstall, TEST_CATALOG } from '../test/support/foyer.js';
import { engineAt, ensureTestImages, startPrivateEngine } from '../test/support/index.js';
import { statusMiB } from '../test/support/process-memory.js';

const INSTALLS = Number(process.env.BENCH_INSTALLS ?? 20);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const privateEngine = process.env.FOYER_TEST_DOCKER_HOST ? undefined : await startPrivateEngine();
const engine = engineAt(process.env.FOYER_TEST_DOCKER_HOST ?? privateEngine!.host);
await ensureTestImages(engine);

const READY_TARGET_MS = 1500;
const RSS_TARGET_MIB = 64;

async function runDaemon(dataDir: string, port: number) {
  const started = performance.now();
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
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c;
  });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null) throw new Error(`daemon exited: ${output}`);
    await sleep(10);
  }
  const readyMs = performance.now() - started;
  return { child, readyMs, output: () => output };
}

const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-daemon-'));
const store = openStore(join(dataDir, 'foyer.db'));
for (let i = 0; i < INSTALLS; i++) addInstall(store, `bench${i}`, 'triple');
store.close();
process.env.FOYER_CATALOG = TEST_CATALOG;

try {
  // First run: converge all installs (creates 3 × INSTALLS containers).
  const first = await runDaemon(dataDir, 28420);
  for (;;) {
    const running = (
      await engine.docker(['ps', '-q', '--filter', 'label=foyer.managed=true'])
    ).stdout
      .split('\n')
      .filter(Boolean);
    if (running.length >= INSTALLS * 3) break;
    await sleep(500);
  }
  first.child.kill('SIGTERM');
  await new Promise((r) => first.child.once('exit', r));

  // Measured runs: start-up with everything already running, then idle memory.
  const readies: number[] = [];
  let own = '';
  for (let i = 0; i < 5; i++) {
    const run = await runDaemon(dataDir, 28421 + i);
    readies.push(run.readyMs);
    if (i < 4) {
      own = /ready in (\d+) ms/.exec(run.output())?.[1] ?? own;
      run.child.kill('SIGTERM');
      await new Promise((r) => run.child.once('exit', r));
      continue;
    }
    await sleep(IDLE_MS);
    const pid = run.child.pid!;
    const rss = statusMiB(pid, 'VmRSS');
    readies.sort((a, b) => a - b);
    console.log(
      `daemon bench: ${INSTALLS} installs (${INSTALLS * 3} containers), node ${process.version}`,
    );
    console.log(
      `  start-up to /api/health answering: median ${readies[2]!.toFixed(0)} ms (min ${readies[0]!.toFixed(0)}, max ${readies[4]!.toFixed(0)}) — target < ${READY_TARGET_MS} ms: ${readies[2]! < READY_TARGET_MS ? 'met' : 'MISSED'}`,
    );
    console.log(`  the daemon's own "ready in": ${own} ms`);
    console.log(
      `  resident memory after ${IDLE_MS / 1000} s idle: ${rss.toFixed(1)} MiB (anonymous ${statusMiB(pid, 'RssAnon').toFixed(1)}, files ${statusMiB(pid, 'RssFile').toFixed(1)}) — target ≤ ${RSS_TARGET_MIB} MiB: ${rss <= RSS_TARGET_MIB ? 'met' : 'MISSED'}`,
    );
    if (readies[2]! >= READY_TARGET_MS || rss > RSS_TARGET_MIB) process.exitCode = 1;
    run.child.kill('SIGTERM');
    await new Promise((r) => run.child.once('exit', r));
  }
} finally {
  const ids = (await engine.docker(['ps', '-aq', '--filter', 'label=foyer.managed=true'])).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) await engine.docker(['rm', '-f', ...ids]);
  await privateEngine?.stop();
}
