// A private Docker engine for a test run: its own containerd and dockerd, with every socket,
// pidfile and state directory in one temp dir, so tests never see the host's containers.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claimSlot,
  hostMtu,
  LOCK_DIR,
  readSlotLock,
  type Slot,
  setUpNetwork,
  slotFor,
  tearDownNetwork,
} from './engine-network.js';
import { findCommand, isAlive, run, signal, sleep, waitGone, withSbinPath } from './exec.js';
import { engineProcesses, shimSockets, unmountUnder } from './host-cleanup.js';
import { ensureHostTools } from './host-tools.js';

export interface PrivateEngine {
  /** DOCKER_HOST value, unix://…/docker.sock. */
  host: string;
  socketPath: string;
  dir: string;
  slot: Slot;
  /** Stops the engine and removes everything it created; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a private containerd and dockerd with all their state in a new temp dir. */
export async function startPrivateEngine(): Promise<PrivateEngine> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'A private Docker engine needs root. Run the tests as root, or use a running engine: ' +
        'FOYER_TEST_DOCKER_HOST=unix:///var/run/docker.sock',
    );
  }
  await ensureHostTools();
  await reapStaleEngines();
  // A short path: the sockets inside must stay under the 108-byte limit of unix socket paths.
  const dir = await mkdtemp(join(tmpdir(), 'foyer-engine-'));
  let slot: Slot | undefined;
  try {
    slot = await claimSlot(dir);
    const mtu = await hostMtu();
    await setUpNetwork(slot, mtu);
    await startContainerd(dir);
    await startDockerd(dir, slot, mtu);
  } catch (e) {
    const logs = ['containerd.log', 'dockerd.log'].map((f) => tail(join(dir, f))).join('');
    await tearDownEngine(dir, slot).catch(() => {});
    throw new Error(`${(e as Error).message}${logs}`);
  }
  const socketPath = join(dir, 'docker.sock');
  let stopping: Promise<void> | undefined;
  const engine: PrivateEngine = {
    host: `unix://${socketPath}`,
    socketPath,
    dir,
    slot,
    stop: () => {
      stopping ??= tearDownEngine(dir, engine.slot);
      return stopping;
    },
  };
  return engine;
}

async function startContainerd(dir: string): Promise<void> {
  const state = join(dir, 'containerd');
  const socket = join(state, 'containerd.sock');
  // dockerd would start its own containerd, except that it adopts a system one when
  // /run/containerd/containerd.sock exists; so we run one explicitly, private to this engine.
  const config = [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'data', 'containerd'))}`,
    `state = ${JSON.stringify(join(state, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    `[grpc]\n  address = ${JSON.stringify(socket)}`,
    `[ttrpc]\n  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
    '[debug]\n  address = ""',
    '[metrics]\n  address = ""',
  ];
  await writeFile(join(dir, 'containerd.toml'), `${config.join('\n')}\n`);
  const containerd = findCommand('containerd') ?? 'containerd';
  const args = ['--config', join(dir, 'containerd.toml')];
  // Shims outlive their parent; tini as a subreaper collects them, since PID 1 may not.
  const tini = findCommand('docker-init');
  const pid = tini
    ? daemon(tini, ['-s', '--', containerd, ...args], join(dir, 'containerd.log'))
    : daemon(containerd, args, join(dir, 'containerd.log'));
  await waitFor('containerd', pid, 30_000, async () => existsSync(socket));
}

async function startDockerd(dir: string, slot: Slot, mtu: number): Promise<void> {
  const socketPath = join(dir, 'docker.sock');
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  const args = [
    ...['--config-file', join(dir, 'daemon.json')],
    ...['--host', `unix://${socketPath}`],
    ...['--data-root', join(dir, 'data')],
    ...['--exec-root', join(dir, 'exec')],
    ...['--pidfile', join(dir, 'docker.pid')],
    ...['--containerd', join(dir, 'containerd', 'containerd.sock')],
    ...['--bridge', slot.bridge],
    ...['--default-address-pool', `base=${slot.subnet},size=24`],
    '--iptables=false',
    '--userland-proxy=true',
    ...['--ip', '127.0.0.1'],
    ...['--mtu', String(mtu)],
  ];
  const pid = daemon(findCommand('dockerd') ?? 'dockerd', args, join(dir, 'dockerd.log'));
  await waitFor('dockerd', pid, 60_000, () => ping(socketPath));
}

// Starts a long-running process in its own process group, so that a Ctrl-C meant for the tests
// does not kill it before teardown has removed its containers.
function daemon(cmd: string, args: string[], log: string): number {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: withSbinPath(process.env),
  });
  closeSync(fd);
  child.on('error', () => {});
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  return child.pid;
}

async function waitFor(what: string, pid: number, ms: number, ready: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ready()) return;
    if (!isAlive(pid)) throw new Error(`${what} exited during start-up`);
    await sleep(100);
  }
  throw new Error(`${what} did not become ready within ${ms / 1000}s`);
}

/** True when a Docker engine answers /_ping on the socket. */
export function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Stops the engine whose state is in dir and removes its processes, mounts, network and files. */
export async function tearDownEngine(dir: string, slot: Slot | undefined): Promise<void> {
  const socketPath = join(dir, 'docker.sock');
  if (await ping(socketPath)) {
    // Removing containers first kills them at once instead of waiting out stop timeouts, and
    // removing networks deletes their bridges, which outlive dockerd.
    const docker = (args: string[]) =>
      run('docker', ['-H', `unix://${socketPath}`, ...args], { allowFailure: true });
    const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
    const nets = await docker(['network', 'ls', '-q', '--filter', 'type=custom']);
    const netIds = nets.stdout.split('\n').filter(Boolean);
    if (netIds.length > 0) await docker(['network', 'rm', ...netIds]);
  }
  const prefix = slot?.prefix ?? '\0';
  await stopGracefully(dir, prefix, 'dockerd', 20_000);
  await stopGracefully(dir, prefix, 'containerd', 10_000);
  for (let round = 0; round < 3; round++) {
    const pids = engineProcesses(dir, prefix);
    if (pids.length === 0) break;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await waitGone(pids, 5000);
  }
  const problems: string[] = [];
  const left = engineProcesses(dir, prefix).filter(isAlive);
  if (left.length > 0) problems.push(`processes still running: ${left.join(' ')}`);
  const mounts = await unmountUnder(dir);
  if (mounts.length > 0) problems.push(`still mounted: ${mounts.join(' ')}`);
  if (slot) await tearDownNetwork(slot);
  for (const socket of shimSockets(dir)) await unlink(socket).catch(() => {});
  if (mounts.length === 0) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  // The shims' socket directory is hard-wired in containerd; keep it if a system containerd runs.
  if (!existsSync('/run/containerd/containerd.sock')) {
    await rmdir('/run/containerd/s').catch(() => {});
    await rmdir('/run/containerd').catch(() => {});
  }
  if (slot && readSlotLock(slot.lockPath)?.dir === dir) await unlink(slot.lockPath).catch(() => {});
  if (problems.length > 0) throw new Error(`test engine in ${dir}: ${problems.join('; ')}`);
}

async function stopGracefully(dir: string, prefix: string, comm: string, ms: number) {
  const pids = engineProcesses(dir, prefix).filter((pid) => commOf(pid) === comm);
  for (const pid of pids) signal(pid, 'SIGTERM');
  for (const pid of await waitGone(pids, ms)) signal(pid, 'SIGKILL');
  await waitGone(pids, 5000);
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Tears down engines whose owning process died without stopping them (a crash, a SIGKILL). */
export async function reapStaleEngines(): Promise<void> {
  const names = await readdir(LOCK_DIR).catch(() => [] as string[]);
  for (const name of names.filter((n) => /^slot-\d+\.json$/.test(n))) {
    const path = join(LOCK_DIR, name);
    const lock = readSlotLock(path);
    if (lock ? isAlive(lock.pid) : isFresh(path)) continue;
    // Renaming first means only one process reaps a given engine.
    const reaping = `${path}.reaping-${process.pid}`;
    try {
      renameSync(path, reaping);
    } catch {
      continue;
    }
    if (lock) {
      process.stderr.write(
        `foyer-test: removing the engine of a test run that died: ${lock.dir}\n`,
      );
      await tearDownEngine(lock.dir, slotFor(lock.index)).catch((e: Error) => {
        process.stderr.write(`foyer-test: ${e.message}\n`);
      });
    }
    await unlink(reaping).catch(() => {});
  }
}

// A lock file that does not parse may be one being written right now.
function isFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 60_000;
  } catch {
    return false;
  }
}

function tail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-15);
    return `\n--- last lines of ${path} ---\n${lines.join('\n')}`;
  } catch {
    return '';
  }
}
