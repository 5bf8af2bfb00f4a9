/**
 * `npm run bench:resync`: the steady-state resync with 50 installs of the
 * three-service `triple` app (150 running containers). Each
 * `reconciler.resync()` is timed and its Docker API calls counted. Targets
 * (DESIGN: "observe: ONE labelled container list (+ networks, volumes)"; a
 * steady state makes zero writes): at most 3 calls and no write per resync,
 * and under 50 ms each (median and p95 reported).
 *
 * The three list calls alone, interleaved, are the floor: on a small box the
 * engine's container list dominates.
 *
 * Then idle with health checks (issue 12 §1): one `web` install whose health
 * check runs every second (three exec events a second), for BENCH_IDLE_S
 * (default 60) seconds: Docker calls per minute, in-process with a counting
 * adapter and a 10 s resync, against ≤ 3 × resyncs per minute + 2, and the
 * observes not caused by a resync (must be 0); then `foyer serve` as a real
 * process with the default 30 s resync, its CPU time from /proc over the same
 * window, against ≤ 1% of one core.
 *
 * Uses the engine named by FOYER_TEST_DOCKER_HOST, else starts a private one.
 * BENCH_INSTALLS and BENCH_PASSES change the sizes.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectDocker } from '../server/docker/dockerode-adapter.js';
import { instanceId } from '../server/paths.js';
import { observeAll } from '../server/reconcile/observe.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { addInstall, startTestFoyer, type TestFoyer } from '../test/support/foyer.js';
import { idleBench } from './idle-bench.js';

const INSTALLS = Number(process.env.BENCH_INSTALLS ?? 50);
const PASSES = Number(process.env.BENCH_PASSES ?? 200);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const { engine, stop } = await openBenchEngine();
let foyer: TestFoyer | undefined;
const ids: string[] = [];
try {
  // No periodic resync: every resync measured is one this script asked for.
  foyer = await startTestFoyer(engine, { resyncMs: 3_600_000 });
  const instance = instanceId(foyer.dataDir);
  const { reconciler, store, counts } = foyer;
  const run = `r${Date.now().toString(36).slice(-5)}`;
  const started = performance.now();
  for (let i = 0; i < INSTALLS; i++) {
    const id = `${run}-${i}`;
    ids.push(id);
    addInstall(store, id, 'triple');
    reconciler.enqueue(id);
  }
  await until(
    `${INSTALLS} installs running`,
    () => ids.every((id) => reconciler.status(id)?.state === 'running'),
    10 * 60_000,
  );
  await reconciler.idle();
  const setupS = (performance.now() - started) / 1000;
  console.log(
    `${INSTALLS} installs (${INSTALLS * 3} containers) running in ${setupS.toFixed(1)} s`,
  );

  // Warm-up passes (JIT, connection pool), not counted.
  for (let i = 0; i < 10; i++) await reconciler.resync();
  await reconciler.idle();
  // The floor, interleaved with the resyncs so both meet the same engine: the three list calls
  // alone, on a connection of their own (not counted).
  const docker = await connectDocker(engine.host);
  counts.reset();
  const times: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    let start = performance.now();
    await reconciler.resync();
    times.push(performance.now() - start);
    start = performance.now();
    await observeAll(docker, `foyer.instance=${instance}`);
    floor.push(performance.now() - start);
  }
  await reconciler.idle();
  const calls = Object.values(counts.counts).reduce((a, b) => a + b, 0);
  const perResync = calls / PASSES;
  times.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  const median = percentile(times, 50);
  const p95 = percentile(times, 95);
  console.log(`resync bench: ${INSTALLS} installs × 3 containers, ${PASSES} resyncs`);
  console.log(
    `  Docker API calls per resync: ${perResync.toFixed(2)} (${JSON.stringify(counts.counts)}), writes: ${counts.mutating()}`,
  );
  console.log(
    `  wall time: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`,
  );
  console.log(
    `  floor (the 3 list calls alone): median ${percentile(floor, 50).toFixed(1)} ms, p95 ${percentile(floor, 95).toFixed(1)} ms`,
  );
  const met = perResync <= 3 && counts.mutating() === 0 && median < 50 && p95 < 50;
  console.log(`  targets (≤ 3 calls, no writes, < 50 ms): ${met ? 'met' : 'MISSED'}`);
  process.exitCode = met ? 0 : 1;

  // Remove through Foyer, so a shared engine is left as it was found.
  for (const id of ids) {
    store.installs.setDesired(id, 'absent', { purge: true });
    reconciler.enqueue(id);
  }
  await until('the installs removed', () => store.installs.list().length === 0, 10 * 60_000);
  await foyer.close();
  rmSync(foyer.dataDir, { recursive: true, force: true });
  foyer = undefined;

  const idleMet = await idleBench(engine, Number(process.env.BENCH_IDLE_S ?? 60));
  if (!idleMet) process.exitCode = 1;
} finally {
  await foyer?.close();
  if (foyer) rmSync(foyer.dataDir, { recursive: true, force: true });
  await stop();
}
