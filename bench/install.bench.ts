/**
 * `npm run bench:install`: installing the three-service `trio` app through an
 * in-process Reconciler (from enqueue to status `running`), side by side with
 * the floor: a minimal script that makes the same create and start calls
 * straight through the adapter (network, volume, then per service in
 * dependency order: create, start, poll inspect until healthy). The two
 * alternate, fresh install ids each time, removing in between; the report
 * gives medians and their ratio. Target: Foyer within 1.15× of the floor.
 *
 * Both poll a health check at the same interval (BENCH_POLL_MS, default the
 * executor's 100 ms), so the ratio measures Foyer's own overhead; a third
 * contender, the floor polling every 25 ms, shows what the poll interval
 * itself costs. Uses the
 * engine named by FOYER_TEST_DOCKER_HOST, else starts a private one.
 * BENCH_TRACE=1 prints each Foyer run's operations with their times.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readAppFolder } from '../server/catalog/catalog.js';
import type { DockerAdapter } from '../server/docker/adapter.js';
import { connectDocker } from '../server/docker/dockerode-adapter.js';
import { desiredState, type InstallRecord, renderProject } from '../server/reconcile/desired.js';
import type { ExecutionEvent } from '../server/reconcile/execute.js';
import type { InstallStatus } from '../server/reconcile/status.js';
import type { DesiredState } from '../server/reconcile/types.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { addInstall, startTestFoyer, TEST_CATALOG, type TestFoyer } from '../test/support/foyer.js';
import { BUSYBOX_IMAGE } from '../test/support/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 100);
const FAST_POLL_MS = 25;
const TRACE = process.env.BENCH_TRACE === '1';
const TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Installs through Foyer: ms from enqueue to the status `running`. */
async function viaFoyer(foyer: TestFoyer, id: string): Promise<number> {
  const { reconciler } = foyer;
  const trace: string[] = [];
  const start = performance.now();
  const at = () => `${(performance.now() - start).toFixed(0).padStart(5)} ms`;
  const onProgress = (event: { install: string } & ExecutionEvent) => {
    if (event.install === id && event.kind === 'step')
      trace.push(`${at()} ${event.phase.padEnd(5)} ${event.operation.kind} ${event.index}`);
  };
  if (TRACE) reconciler.on('progress', onProgress);
  const running = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} not running`)), TIMEOUT_MS);
    const onStatus = (status: InstallStatus) => {
      if (status.install !== id) return;
      trace.push(`${at()} status ${status.state}`);
      if (status.state !== 'running') return;
      clearTimeout(timer);
      reconciler.off('status', onStatus);
      resolve(performance.now() - start);
    };
    reconciler.on('status', onStatus);
  });
  addInstall(foyer.store, id, 'trio');
  reconciler.enqueue(id);
  const ms = await running;
  reconciler.off('progress', onProgress);
  if (TRACE) console.log(`  trace of ${id}:\n    ${trace.join('\n    ')}`);
  foyer.store.installs.setDesired(id, 'absent', { purge: true });
  reconciler.enqueue(id);
  await until(`${id} removed`, () => foyer.store.installs.get(id) === undefined);
  return ms;
}

// The floor's objects carry a label of their own instead of Foyer's, so Foyer never adopts
// or removes them as an orphan install.
function relabel(body: Record<string, unknown>, id: string): Record<string, unknown> {
  const labels = { ...(body.Labels as Record<string, string> | undefined) };
  for (const key of Object.keys(labels)) if (key.startsWith('foyer.')) delete labels[key];
  return { ...body, Labels: { ...labels, 'foyer-bench.floor': id } };
}

/** The same bodies Foyer would send for install `id`, rendered outside the timed part. */
async function floorPlan(docker: DockerAdapter, id: string): Promise<DesiredState> {
  const appDir = join(TEST_CATALOG, 'trio');
  const app = readAppFolder(appDir);
  const install: InstallRecord = {
    id,
    appId: 'trio',
    appDir,
    settings: {},
    secrets: {},
    acceptedPermissions: [],
    desired: 'running',
    purge: false,
    generation: 1,
  };
  const source = {
    composePath: app.composePath,
    composeContent: app.composeContent,
    permissions: [],
  };
  const project = renderProject(install, source, { dataDir: '/nonexistent' });
  const image = await docker.inspectImage(BUSYBOX_IMAGE);
  const { apiVersion } = await docker.version();
  return desiredState(
    install,
    project,
    { [BUSYBOX_IMAGE]: image && { id: image.id } },
    {
      apiVersion,
    },
  );
}

/** The floor: the same calls in order, nothing else. */
async function direct(docker: DockerAdapter, state: DesiredState, pollMs: number): Promise<number> {
  const id = state.install;
  const trace: string[] = [];
  const start = performance.now();
  const step = (what: string) =>
    TRACE && trace.push(`${(performance.now() - start).toFixed(0).padStart(5)} ms ${what}`);
  for (const n of state.networks) await docker.createNetwork(relabel(n.body, id));
  for (const v of state.volumes) await docker.createVolume(relabel(v.body, id));
  for (const s of state.services) {
    await docker.createContainer(s.containerName, relabel(s.createBody, id));
    step(`created ${s.name}`);
    await docker.startContainer(s.containerName);
    step(`started ${s.name}`);
    if (!s.hasHealthcheck) continue;
    for (;;) {
      const details = await docker.inspectContainer(s.containerName);
      if (details?.state.health?.status === 'healthy') break;
      if (performance.now() - start > TIMEOUT_MS) throw new Error(`${s.containerName} unhealthy`);
      await sleep(pollMs);
    }
    step(`${s.name} healthy`);
  }
  const ms = performance.now() - start;
  if (TRACE) console.log(`  trace of ${id}:\n    ${trace.join('\n    ')}`);
  for (const s of state.services) await docker.removeContainer(s.containerName, true);
  for (const n of state.networks) await docker.removeNetwork(n.name);
  for (const v of state.volumes) await docker.removeVolume(v.name);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const { engine, stop } = await openBenchEngine();
let foyer: TestFoyer | undefined;
try {
  const docker = await connectDocker(engine.host);
  foyer = await startTestFoyer(engine);
  const run = `b${Date.now().toString(36).slice(-5)}`;
  const foyerMs: number[] = [];
  const floorMs: number[] = [];
  const fastMs: number[] = [];
  // Round 0 warms both up (images known, connections open, JIT) and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const f = await viaFoyer(foyer, `${run}-foyer-${round}`);
    const d = await direct(docker, await floorPlan(docker, `${run}-floor-${round}`), POLL_MS);
    const q = await direct(docker, await floorPlan(docker, `${run}-fast-${round}`), FAST_POLL_MS);
    console.log(
      `round ${round}${round === 0 ? ' (warm-up)' : ''}: foyer ${f.toFixed(0)} ms, ` +
        `floor ${d.toFixed(0)} ms, floor polling every ${FAST_POLL_MS} ms ${q.toFixed(0)} ms`,
    );
    if (round === 0) continue;
    foyerMs.push(f);
    floorMs.push(d);
    fastMs.push(q);
  }
  const ratio = median(foyerMs) / median(floorMs);
  console.log(
    `install bench: trio (3 services, 2 health waits), health polled every ${POLL_MS} ms`,
  );
  console.log(`  foyer: median ${median(foyerMs).toFixed(0)} ms over ${ROUNDS}`);
  console.log(`  floor: median ${median(floorMs).toFixed(0)} ms over ${ROUNDS}`);
  console.log(`  ratio: ${ratio.toFixed(3)} — target ≤ 1.15: ${ratio <= 1.15 ? 'met' : 'MISSED'}`);
  const fast = median(fastMs);
  console.log(
    `  for scale, a floor polling every ${FAST_POLL_MS} ms: median ${fast.toFixed(0)} ms ` +
      `(foyer/that = ${(median(foyerMs) / fast).toFixed(3)})`,
  );
  process.exitCode = ratio <= 1.15 ? 0 : 1;
} finally {
  await foyer?.close();
  if (foyer) rmSync(foyer.dataDir, { recursive: true, force: true });
  await stop();
}
