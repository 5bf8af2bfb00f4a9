// A container's memory as the kernel charges it to the container's cgroup, read from
// /sys/fs/cgroup on this host (the test engines run here). Works with cgroup v1 (the memory
// hierarchy, as on a hybrid host) and v2, and with the cgroupfs and systemd drivers alike,
// because the cgroup is found from the container's init process, not from a naming scheme.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the image helpers' engines offer; `TestEngine` fits. */
interface DockerRunner {
  docker(args: string[]): Promise<{ stdout: string; stderr: string }>;
}

export interface CgroupMemory {
  /** The cgroup folder the figures come from. */
  path: string;
  version: 1 | 2;
  /** Everything charged: `memory.current` (v2) or `memory.usage_in_bytes` (v1), page cache included. */
  current: number;
  /** Anonymous memory (heap, stacks): `anon` (v2) or `total_rss` (v1); the resident set apart from files. */
  anon: number;
  /** Page cache charged to the container: `file` (v2) or `total_cache` (v1). */
  file: number;
  /** Resident memory: anonymous memory plus file pages mapped into processes (`file_mapped` / `total_mapped_file`). */
  resident: number;
  /** `current` less inactive file pages, the figure `docker stats` shows. */
  workingSet: number;
}

/** The memory of a running container's cgroup; `container` is an id or a name. */
export async function containerMemory(
  engine: DockerRunner,
  container: string,
): Promise<CgroupMemory> {
  const { stdout } = await engine.docker(['inspect', '-f', '{{.State.Pid}}', container]);
  const pid = Number(stdout.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${container} is not running`);
  return cgroupMemory(pid);
}

/**
 * Samples a container's memory `samples` times `everyMs` apart and keeps the sample with the
 * least anonymous memory: a health check's short-lived process inflates a single reading.
 */
export async function idleContainerMemory(
  engine: DockerRunner,
  container: string,
  { samples = 5, everyMs = 1000 } = {},
): Promise<CgroupMemory> {
  let least: CgroupMemory | undefined;
  for (let i = 0; i < samples; i++) {
    if (i > 0) await new Promise((done) => setTimeout(done, everyMs));
    const sample = await containerMemory(engine, container);
    if (!least || sample.anon < least.anon) least = sample;
  }
  return least as CgroupMemory;
}

interface CgroupMount {
  root: string;
  mountPoint: string;
}

/** The memory of the cgroup process `pid` is in. */
export function cgroupMemory(pid: number): CgroupMemory {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean);
  const entries = lines.map((line) => {
    const [, controllers = '', path = ''] = line.split(/:(.*?):(.*)/);
    return { controllers: controllers.split(','), path };
  });
  const v1 = entries.find((e) => e.controllers.includes('memory'));
  if (v1) {
    const mount = findMount((type, options) => type === 'cgroup' && options.includes('memory'));
    if (mount) return read(folder(mount, v1.path), 1);
  }
  const v2 = entries.find((e) => e.controllers.length === 1 && e.controllers[0] === '');
  const mount = findMount((type) => type === 'cgroup2');
  if (v2 && mount) return read(folder(mount, v2.path), 2);
  throw new Error(`no memory cgroup found for process ${pid} (${lines.join('; ')})`);
}

/** A mount from /proc/self/mountinfo: `id parent dev root mountpoint opts … - type source superopts`. */
function findMount(
  match: (type: string, superOptions: string[]) => boolean,
): CgroupMount | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [type = '', , superOptions = ''] = right.split(' ');
    if (match(type, superOptions.split(','))) {
      return { root: unescapeOctal(fields[3] ?? '/'), mountPoint: unescapeOctal(fields[4] ?? '') };
    }
  }
  return undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** The cgroup's folder: its path is relative to our cgroup namespace, the mount shows `root`. */
function folder(mount: CgroupMount, path: string): string {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && !path.startsWith(`${root}/`) && path !== root) {
    throw new Error(`cgroup ${path} is outside the mounted hierarchy ${mount.root}`);
  }
  return join(mount.mountPoint, path.slice(root.length));
}

function readStat(dir: string): Map<string, number> {
  const stat = new Map<string, number>();
  for (const line of readFileSync(join(dir, 'memory.stat'), 'utf8').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) stat.set(key, Number(value));
  }
  return stat;
}

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/** The files and memory.stat keys each cgroup version names the same figures by. */
const NAMES = {
  1: {
    current: 'memory.usage_in_bytes',
    anon: 'total_rss',
    file: 'total_cache',
    mapped: 'total_mapped_file',
    inactiveFile: 'total_inactive_file',
  },
  2: {
    current: 'memory.current',
    anon: 'anon',
    file: 'file',
    mapped: 'file_mapped',
    inactiveFile: 'inactive_file',
  },
} as const;

function read(dir: string, version: 1 | 2): CgroupMemory {
  const names = NAMES[version];
  const stat = readStat(dir);
  const current = readNumber(join(dir, names.current));
  const anon = stat.get(names.anon) ?? 0;
  return {
    path: dir,
    version,
    current,
    anon,
    file: stat.get(names.file) ?? 0,
    resident: anon + (stat.get(names.mapped) ?? 0),
    workingSet: Math.max(0, current - (stat.get(names.inactiveFile) ?? 0)),
  };
}
