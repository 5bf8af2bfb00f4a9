// Crash safety (DESIGN: "Killing the daemon at any instant and starting it again converges, with
// no duplicate or orphan"): `foyer serve` runs as a real child process and is killed with SIGKILL
// at random moments during install, recreate (a settings change) and uninstall of the `trio` app.
// After each restart the engine must converge to exactly one container per service, no orphan,
// volume data kept. A steady state makes zero writes, a daemon restart recreates nothing, and
// objects without Foyer's labels are never touched.
//
// The kill delays come from a seeded PRNG; replay a failing run with FOYER_CRASH_SEED=<seed>.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ContainerSummary, DockerAdapter } from '../../server/docker/adapter.js';
import { connectDocker } from '../../server/docker/dockerode-adapter.js';
import { openStore, type Store } from '../../server/store/index.js';
import {
  addInstall,
  type DaemonProcess,
  eventually,
  spawnDaemon,
  startTestFoyer,
} from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const docker: DockerAdapter = await connectDocker(engine.host);

const seed = Number(process.env.FOYER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(seed);
process.stdout.write(`# crash-safety seed ${seed} (replay with FOYER_CRASH_SEED=${seed})\n`);

/** A small seeded PRNG (mulberry32), so a failing sequence of kill delays can be replayed. */
function mulberry32(a: number): () => number {
  let state = a >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Unique per run, so a failed run's leftovers on a shared engine never meet this run's objects.
const run = `c${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const SERVICES = ['db', 'api', 'web'];
const CONVERGE_MS = 90_000;

const daemons = new Set<DaemonProcess>();
const dataDirs: string[] = [];
const installIds: string[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-crash-'));
  dataDirs.push(dir);
  return dir;
}

function startDaemon(dataDir: string): DaemonProcess {
  const daemon = spawnDaemon(engine, dataDir, { FOYER_RESYNC_MS: '500', FOYER_LOG_LEVEL: 'info' });
  daemons.add(daemon);
  daemon.child.once('exit', () => daemons.delete(daemon));
  return daemon;
}

async function lines(args: string[]): Promise<string[]> {
  const { stdout } = await engine.docker(args);
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/** Everything the engine holds with Foyer's labels for one install. */
async function world(id: string) {
  const labels = [`foyer.install=${id}`];
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers(labels),
    docker.listNetworks(labels),
    docker.listVolumes(labels),
  ]);
  return { containers, networks, volumes };
}

const sorted = (names: string[]) => [...names].sort().join(',');

/** Throws, saying what is not so, unless the install is up: the check `eventually` retries. */
async function assertRunning(id: string, greeting: string): Promise<ContainerSummary[]> {
  const { containers, networks, volumes } = await world(id);
  const problems: string[] = [];
  const want = SERVICES.map((s) => `${id}-${s}-1`);
  if (sorted(containers.map((c) => c.name)) !== sorted(want))
    problems.push(`containers ${containers.map((c) => `${c.name}(${c.state})`).join(' ')}`);
  for (const c of containers) {
    if (c.state !== 'running') problems.push(`${c.name} is ${c.state}`);
    if (c.health !== undefined && c.health !== 'healthy') problems.push(`${c.name} ${c.health}`);
  }
  if (sorted(networks.map((n) => n.name)) !== `${id}_default`)
    problems.push(`networks ${networks.map((n) => n.name).join(' ')}`);
  if (sorted(volumes.map((v) => v.name)) !== `${id}_data`)
    problems.push(`volumes ${volumes.map((v) => v.name).join(' ')}`);
  if (problems.length === 0) {
    const { stdout } = await engine.docker(['exec', `${id}-web-1`, 'cat', '/tmp/greeting']);
    if (stdout.trim() !== greeting) problems.push(`greeting is ${stdout.trim()}, not ${greeting}`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return containers;
}

/**
 * While the daemon is dead: at most a service's container and its `-next` replacement exist.
 * Returns what the kill interrupted, for the log.
 */
async function assertNoDuplicates(id: string): Promise<string> {
  const { containers, networks } = await world(id);
  const allowed = new Set(SERVICES.flatMap((s) => [`${id}-${s}-1`, `${id}-${s}-1-next`]));
  for (const c of containers) assert.ok(allowed.has(c.name), `unexpected container ${c.name}`);
  const names = containers.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, `duplicate names: ${names.join(' ')}`);
  const state = (c: ContainerSummary) =>
    `${c.name.slice(id.length + 1)}:${c.state}${c.health ? `/${c.health}` : ''}`;
  return [...containers.map(state).sort(), ...networks.map((n) => n.name.slice(id.length))].join(
    ' ',
  );
}

async function volumeFile(volume: string, path: string): Promise<string> {
  const { stdout } = await engine.docker([
    'run',
    '--rm',
    '-v',
    `${volume}:/v:ro`,
    BUSYBOX_IMAGE,
    'cat',
    `/v/${path}`,
  ]);
  return stdout.trim();
}

/** Foreign objects: no Foyer labels, some named as Foyer would name its own. */
const foreign = {
  volume: `${run}other_data`,
  network: `${run}other_default`,
  container: `${run}other-db-1`,
  // Compose's labels without Foyer's: still not Foyer's to touch.
  composeLike: `${run}x-web-1`,
};
let foreignBefore: Record<string, string> = {};

async function foreignState(): Promise<Record<string, string>> {
  const inspect = async (args: string[]) => (await engine.docker(args)).stdout.trim();
  return {
    volume: await inspect(['volume', 'inspect', '-f', '{{.Name}} {{.CreatedAt}}', foreign.volume]),
    network: await inspect(['network', 'inspect', '-f', '{{.Id}} {{.Created}}', foreign.network]),
    container: await inspect([
      'inspect',
      '-f',
      '{{.Id}} {{.Created}} {{.State.Status}} {{.RestartCount}}',
      foreign.container,
    ]),
    composeLike: await inspect([
      'inspect',
      '-f',
      '{{.Id}} {{.Created}} {{.State.Status}} {{.RestartCount}}',
      foreign.composeLike,
    ]),
    file: await volumeFile(foreign.volume, 'mine'),
  };
}

before(async () => {
  await engine.docker(['volume', 'create', foreign.volume]);
  await engine.docker(['network', 'create', foreign.network]);
  await engine.docker([
    'run',
    '-d',
    '--name',
    foreign.container,
    '--network',
    foreign.network,
    '-v',
    `${foreign.volume}:/data`,
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    'echo theirs > /data/mine && exec sleep 3600',
  ]);
  await engine.docker([
    'run',
    '-d',
    '--name',
    foreign.composeLike,
    '--label',
    `com.docker.compose.project=${run}x`,
    '--label',
    'com.docker.compose.service=web',
    '--label',
    'com.docker.compose.container-number=1',
    BUSYBOX_IMAGE,
    'sleep',
    '3600',
  ]);
  foreignBefore = await eventually('the foreign container wrote its file', async () => {
    const state = await foreignState();
    return state.file === 'theirs' && state;
  });
});

after(async () => {
  for (const daemon of daemons) await daemon.kill('SIGKILL');
  const remove = async (args: string[]) => {
    if (args.at(-1) !== undefined) await engine.docker(args).catch(() => {});
  };
  for (const id of installIds) {
    const label = `label=foyer.install=${id}`;
    const containers = await lines(['ps', '-aq', '--filter', label]);
    if (containers.length > 0) await remove(['rm', '-f', ...containers]);
    const networks = await lines(['network', 'ls', '-q', '--filter', label]);
    if (networks.length > 0) await remove(['network', 'rm', ...networks]);
    const volumes = await lines(['volume', 'ls', '-q', '--filter', label]);
    if (volumes.length > 0) await remove(['volume', 'rm', ...volumes]);
  }
  await remove(['rm', '-f', foreign.container, foreign.composeLike]);
  await remove(['network', 'rm', foreign.network]);
  await remove(['volume', 'rm', foreign.volume]);
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', { timeout: 10 * 60_000 }, () => {
  test('SIGKILL at random moments during install, recreate and uninstall converges', async (t) => {
    const dataDir = newDataDir();
    // The daemon's own database; WAL lets this process write while the daemon reads.
    const store: Store = openStore(join(dataDir, 'foyer.db'));
    let kills = 0;
    const killLog: string[] = [];

    /** Starts the daemon, kills it after a random delay, checks no duplicate exists; n times. */
    const killCycles = async (
      id: string,
      phase: string,
      n: number,
      maxDelayMs: number,
      before?: (i: number) => void,
    ) => {
      for (let i = 0; i < n; i++) {
        before?.(i);
        const delay = Math.round(random() * maxDelayMs);
        const daemon = startDaemon(dataDir);
        await sleep(delay);
        await daemon.kill('SIGKILL');
        kills++;
        killLog.push(`${id} ${phase} #${i + 1} at ${delay} ms: ${await assertNoDuplicates(id)}`);
      }
    };

    /** Starts the daemon and waits until `check` passes; leaves it running. */
    const converge = async <T>(what: string, check: () => Promise<T>) => {
      const daemon = startDaemon(dataDir);
      try {
        return await eventually(what, check, CONVERGE_MS);
      } catch (error) {
        t.diagnostic(`daemon output:\n${daemon.output().slice(-4000)}`);
        throw error;
      }
    };

    try {
      for (let round = 1; round <= 3; round++) {
        const id = `${run}-${round}`;
        installIds.push(id);

        // Install: the daemon picks the new row up at start.
        addInstall(store, id, 'trio', { GREETING: 'v0' });
        await killCycles(id, 'install', 3, 5000);
        const installed = await converge(`${id} installed`, () => assertRunning(id, 'v0'));
        await engine.docker(['exec', `${id}-db-1`, 'sh', '-c', `echo keep-${id} > /data/proof`]);
        for (const d of daemons) await d.kill('SIGKILL');

        // Recreate: each cycle changes the greeting again, so every kill lands in a recreate.
        let greeting = 'v0';
        await killCycles(id, 'recreate', 3, 3500, (i) => {
          greeting = `v${i + 1}`;
          store.installs.update(id, { settings: { GREETING: greeting } });
        });
        const recreated = await converge(`${id} recreated with ${greeting}`, () =>
          assertRunning(id, greeting),
        );
        const idOf = (cs: ContainerSummary[], s: string) =>
          cs.find((c) => c.name === `${id}-${s}-1`)?.id;
        assert.equal(
          idOf(recreated, 'db'),
          idOf(installed, 'db'),
          'db was recreated though its config did not change',
        );
        assert.equal(
          idOf(recreated, 'api'),
          idOf(installed, 'api'),
          'api was recreated though its config did not change',
        );
        assert.notEqual(idOf(recreated, 'web'), idOf(installed, 'web'), 'web was not recreated');
        const { stdout: proof } = await engine.docker(['exec', `${id}-db-1`, 'cat', '/data/proof']);
        assert.equal(proof.trim(), `keep-${id}`);
        for (const d of daemons) await d.kill('SIGKILL');

        // Uninstall (no purge): containers and network go, the volume and its data stay.
        store.installs.setDesired(id, 'absent');
        await killCycles(id, 'uninstall', 2, 4500);
        await converge(`${id} removed`, async () => {
          const { containers, networks } = await world(id);
          if (containers.length + networks.length > 0)
            throw new Error(`left: ${[...containers, ...networks].map((o) => o.name).join(' ')}`);
          if (store.installs.get(id)) throw new Error('the store row is still there');
          return true;
        });
        const { volumes } = await world(id);
        assert.deepEqual(
          volumes.map((v) => v.name),
          [`${id}_data`],
        );
        assert.equal(await volumeFile(`${id}_data`, 'proof'), `keep-${id}`);
        for (const d of daemons) await d.kill('SIGKILL');
      }
    } finally {
      for (const d of daemons) await d.kill('SIGKILL');
      store.close();
      t.diagnostic(`seed ${seed}, ${kills} kills:\n${killLog.join('\n')}`);
    }
    assert.ok(kills >= 20, `only ${kills} kills`);
    assert.deepEqual(await foreignState(), foreignBefore, 'foreign objects untouched');
  });

  test('a steady state makes no mutating Docker call', async () => {
    const foyer = await startTestFoyer(engine);
    const id = `${run}-steady`;
    installIds.push(id);
    try {
      addInstall(foyer.store, id, 'trio', { GREETING: 'steady' });
      foyer.reconciler.enqueue(id);
      await eventually(
        `${id} running`,
        () => foyer.reconciler.status(id)?.state === 'running',
        CONVERGE_MS,
      );
      await foyer.reconciler.idle();
      foyer.counts.reset();
      for (let i = 0; i < 5; i++) {
        await foyer.reconciler.resync();
        await foyer.reconciler.idle();
      }
      assert.equal(foyer.counts.mutating(), 0, JSON.stringify(foyer.counts.counts));
      // Clean up through Foyer itself, so the next test starts from an empty engine.
      foyer.store.installs.setDesired(id, 'absent', { purge: true });
      foyer.reconciler.enqueue(id);
      await eventually(`${id} purged`, () => !foyer.store.installs.get(id), CONVERGE_MS);
    } finally {
      await foyer.close();
      rmSync(foyer.dataDir, { recursive: true, force: true });
    }
  });

  test('a daemon restart (graceful or killed) recreates nothing', async () => {
    const dataDir = newDataDir();
    const store = openStore(join(dataDir, 'foyer.db'));
    const id = `${run}-restart`;
    installIds.push(id);
    const snapshot = async () =>
      (await assertRunning(id, 'steady'))
        .map((c) => `${c.name} ${c.id} ${c.created}`)
        .sort()
        .join('\n');
    try {
      addInstall(store, id, 'trio', { GREETING: 'steady' });
      let daemon = startDaemon(dataDir);
      await eventually(`${id} installed`, () => assertRunning(id, 'steady'), CONVERGE_MS);
      // A few resyncs with nothing to do, so the daemon's own first passes are over.
      await sleep(1500);
      const first = await snapshot();
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        await daemon.kill(signal);
        daemon = startDaemon(dataDir);
        await eventually('the daemon to start', () => daemon.output().includes('Foyer is running'));
        await sleep(3000);
        assert.equal(await snapshot(), first, `containers changed across a ${signal} restart`);
        assert.doesNotMatch(daemon.output(), /"msg":"reconciling"/, 'a restart planned work');
      }
      store.installs.setDesired(id, 'absent', { purge: true });
      await eventually(`${id} purged`, () => !store.installs.get(id), CONVERGE_MS);
      await daemon.kill('SIGTERM');
    } finally {
      for (const d of daemons) await d.kill('SIGKILL');
      store.close();
    }
    assert.deepEqual(await foreignState(), foreignBefore, 'foreign objects untouched');
  });
});
