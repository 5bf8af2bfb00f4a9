// Finds what a private engine left on the host (processes, mounts) so teardown can remove it,
// including after a crash of the process that started the engine.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { run } from './exec.js';

/**
 * Pids belonging to the engine in dir: processes naming dir on their command line (containerd,
 * dockerd, shims, docker CLIs), processes in the cgroup of one of its containers, and
 * docker-proxy processes forwarding to an address starting with subnetPrefix.
 */
export function engineProcesses(dir: string, subnetPrefix: string): number[] {
  const pids: number[] = [];
  const ids = containerIds(dir);
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith(`${dir}/`) || a.includes(`://${dir}/`))) {
        pids.push(pid);
        continue;
      }
      const at = argv.indexOf('-container-ip');
      if (argv[0]?.endsWith('docker-proxy') && argv[at + 1]?.startsWith(subnetPrefix)) {
        pids.push(pid);
        continue;
      }
      // Container processes live in another mount namespace; their cgroup names the container.
      if (ids.length === 0) continue;
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (ids.some((id) => cgroup.includes(id))) pids.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * The sockets of the engine's shims. containerd puts them in /run/containerd/s whatever its
 * configuration, named by a hash of its address, namespace and task id; a killed shim leaves
 * its socket behind.
 */
export function shimSockets(dir: string): string[] {
  const address = `${dir}/containerd/containerd.sock`;
  return containerIds(dir).map((id) => {
    const hash = createHash('sha256').update(`${address}/moby/${id}`).digest('hex');
    return `/run/containerd/s/${hash}`;
  });
}

function containerIds(dir: string): string[] {
  return listDir(`${dir}/data/containers`).filter((id) => /^[0-9a-f]{64}$/.test(id));
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Mount points at or below dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const raw = line.split(' ')[4];
    if (!raw) continue;
    // mountinfo escapes space, tab, newline and backslash as octal.
    const point = raw.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (point === dir || point.startsWith(`${dir}/`)) points.push(point);
  }
  return points.sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything at or below dir; returns the mount points that remain. */
export async function unmountUnder(dir: string): Promise<string[]> {
  for (let round = 0; round < 3; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return [];
    for (const point of points) await run('umount', ['-l', point], { allowFailure: true });
  }
  return mountsUnder(dir);
}
