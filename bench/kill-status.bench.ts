/**
 * `npm run bench:kill-status`: from `docker kill` of a service container to
 * Foyer's changed status for its install — the first `'status'` event of the
 * reconciler for that install after the kill (it emits only on change).
 * Also timed: the first status that shows the killed service not running
 * (the first change may only count the death while the engine's container
 * list still says "running"). Target: under one second for both, median and
 * max reported over BENCH_KILLS
 * (default 10) kills. Each container of a few `triple` installs is killed
 * once, so none reaches the crash-loop threshold; the install is back to
 * `running` before the next kill.
 *
 * The reconciler resyncs every 30 s as the daemon does by default
 * (BENCH_RESYNC_MS), so the engine's events must bring the news.
 * The kill goes straight to the engine's API (no CLI start-up in the
 * measurement). Uses the engine named by FOYER_TEST_DOCKER_HOST, else starts
 * a private one.
 */
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { InstallStatus } from '../server/reconcile/status.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { addInstall, startTestFoyer, type TestFoyer } from '../test/support/foyer.js';

const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const SERVICES = ['one', 'two', 'three'];
const RESYNC_MS = Number(process.env.BENCH_RESYNC_MS ?? 30_000);
const TIMEOUT_MS = 2 * RESYNC_MS + 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `POST /containers/{name}/kill` on the engine's socket. */
function kill(socketPath: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method: 'POST', path: `/containers/${encodeURIComponent(name)}/kill` },
      (res) => {
        res.resume();
        if (res.statusCode === 204) resolve();
        else reject(new Error(`kill ${name}: HTTP ${res.statusCode}`));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const { engine, stop } = await openBenchEngine();
let foyer: TestFoyer | undefined;
const ids: string[] = [];
try {
  // The daemon's resync period, so that events, not the resync, must bring the news.
  foyer = await startTestFoyer(engine, { resyncMs: RESYNC_MS });
  const { reconciler, store } = foyer;
  const run = `k${Date.now().toString(36).slice(-5)}`;
  for (let i = 0; i < Math.ceil(KILLS / SERVICES.length); i++) {
    const id = `${run}-${i}`;
    ids.push(id);
    addInstall(store, id, 'triple');
    reconciler.enqueue(id);
  }
  const allRunning = () => ids.every((id) => reconciler.status(id)?.state === 'running');
  await until('the installs running', allRunning);
  await reconciler.idle();

  /** The first status event for `id` that `match` accepts, with its time. */
  const statusAfter = (id: string, match: (status: InstallStatus) => boolean) =>
    new Promise<{ at: number; status: InstallStatus }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no status change for ${id}`)), TIMEOUT_MS);
      const onStatus = (status: InstallStatus) => {
        if (status.install !== id || !match(status)) return;
        clearTimeout(timer);
        reconciler.off('status', onStatus);
        resolve({ at: performance.now(), status });
      };
      reconciler.on('status', onStatus);
    });
  const times: number[] = [];
  const downTimes: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const id = ids[Math.floor(k / SERVICES.length)]!;
    const service = SERVICES[k % SERVICES.length]!;
    const stateOf = (status: InstallStatus) =>
      status.services.find((x) => x.name === service)?.state;
    const first = statusAfter(id, () => true);
    const down = statusAfter(id, (status) => stateOf(status) !== 'running');
    const start = performance.now();
    await kill(engine.socketPath, `${id}-${service}-1`);
    const changed = await first;
    const shown = await down;
    times.push(changed.at - start);
    downTimes.push(shown.at - start);
    console.log(
      `kill ${k + 1}: ${id}-${service}-1 → first change ${(changed.at - start).toFixed(0)} ms ` +
        `(${changed.status.state}, ${service} ${stateOf(changed.status)}), ` +
        `${service} shown ${stateOf(shown.status)} at ${(shown.at - start).toFixed(0)} ms`,
    );
    await until(`${id} running again`, allRunning);
    await reconciler.idle();
  }
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
  };
  const first = summary(times);
  const down = summary(downTimes);
  console.log(
    `kill-status bench: ${KILLS} kills of triple containers (resync every ${RESYNC_MS / 1000} s)`,
  );
  console.log(
    `  kill → first status change: median ${first.median.toFixed(0)} ms, max ${first.max.toFixed(0)} ms`,
  );
  console.log(
    `  kill → status shows the service down: median ${down.median.toFixed(0)} ms, max ${down.max.toFixed(0)} ms`,
  );
  const met = first.max < 1000 && down.max < 1000;
  console.log(`  target (both < 1000 ms): ${met ? 'met' : 'MISSED'}`);
  process.exitCode = met ? 0 : 1;

  for (const id of ids) {
    store.installs.setDesired(id, 'absent', { purge: true });
    reconciler.enqueue(id);
  }
  await until('the installs removed', () => store.installs.list().length === 0);
} finally {
  await foyer?.close();
  if (foyer) rmSync(foyer.dataDir, { recursive: true, force: true });
  await stop();
}
