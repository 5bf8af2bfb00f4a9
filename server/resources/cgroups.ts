/**
 * A container's CPU time and memory, read from its cgroup files (issue 12 §4)
 * rather than the engine's stats stream, which would hold one connection
 * open per container. The folder is found from the container's id and the
 * engine's cgroup driver and version (`GET /info`): cgroupfs puts a container
 * in `/docker/<id>`, systemd in `system.slice/docker-<id>.scope`. When the
 * engine was given another parent, the folder comes from the container's
 * init process (`/proc/<pid>/cgroup`). Parsing is pure; files are read
 * through a `readFile` the caller hands in, so tests use fixture folders.
 */
import { join } from 'node:path';

export type CgroupVersion = 1 | 2;
export type ReadText = (path: string) => string;

/** One cgroup hierarchy mounted on this host, from /proc/self/mountinfo. */
export interface CgroupMount {
  /** `cgroup2`, or `cgroup` (v1) with its controllers. */
  version: CgroupVersion;
  controllers: string[];
  /** The hierarchy's folder this mount shows (not `/` inside a cgroup namespace). */
  root: string;
  mountPoint: string;
}

/** The folders a container's figures are read from. */
export interface CgroupDirs {
  version: CgroupVersion;
  /** v2: the one folder; v1: the memory controller's. */
  memory: string;
  /** v2: the same folder; v1: the cpuacct controller's. */
  cpu: string;
}

/** One reading of a container: CPU time so far and memory in use now. */
export interface CgroupReading {
  /** CPU time used since the container started, in nanoseconds. */
  cpuNanos: number;
  /** Memory in use less inactive file pages: the figure `docker stats` shows. */
  memoryBytes: number;
}

/** Cgroup mounts from /proc/self/mountinfo: `id parent dev root mountpoint opts … - type source superopts`. */
export function parseMountInfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [type = '', , superOptions = ''] = right.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    mounts.push({
      version: type === 'cgroup2' ? 2 : 1,
      controllers: type === 'cgroup2' ? [] : superOptions.split(','),
      root: unescapeOctal(fields[3] ?? '/'),
      mountPoint: unescapeOctal(fields[4] ?? ''),
    });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** `/proc/<pid>/cgroup`: `hierarchy-id:controllers:path` per line; v2's line is `0::path`. */
export function parseProcCgroup(text: string): { controllers: string[]; path: string }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers = '', path = ''] = /^[^:]*:([^:]*):(.*)$/.exec(line) ?? [];
      return { controllers: controllers === '' ? [] : controllers.split(','), path };
    });
}

/**
 * The cgroup path (from the hierarchy's root) the engine gives a container by default:
 * cgroupfs `/docker/<id>`, systemd `/system.slice/docker-<id>.scope`.
 */
export function defaultContainerPath(driver: string, containerId: string): string {
  return driver === 'systemd'
    ? `/system.slice/docker-${containerId}.scope`
    : `/docker/${containerId}`;
}

/** The folder of cgroup `path` under `mount`; undefined when our namespace cannot see it. */
export function folderOf(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return undefined;
  return join(mount.mountPoint, path.slice(root.length));
}

/** The mounts to read a version's figures from: v2's one hierarchy, or v1's memory and cpuacct. */
export function mountsFor(
  mounts: CgroupMount[],
  version: CgroupVersion,
): { memory: CgroupMount; cpu: CgroupMount } | undefined {
  if (version === 2) {
    const unified = mounts.find((m) => m.version === 2);
    return unified && { memory: unified, cpu: unified };
  }
  const memory = mounts.find((m) => m.version === 1 && m.controllers.includes('memory'));
  const cpu = mounts.find((m) => m.version === 1 && m.controllers.includes('cpuacct'));
  return memory && cpu ? { memory, cpu } : undefined;
}

/** A container's folders from its cgroup path (the same path in every v1 hierarchy Docker uses). */
export function dirsFromPath(
  mounts: CgroupMount[],
  version: CgroupVersion,
  path: string,
): CgroupDirs | undefined {
  const chosen = mountsFor(mounts, version);
  if (!chosen) return undefined;
  const memory = folderOf(chosen.memory, path);
  const cpu = folderOf(chosen.cpu, path);
  return memory && cpu ? { version, memory, cpu } : undefined;
}

/** A container's folders from its init process's `/proc/<pid>/cgroup`. */
export function dirsFromProcess(
  mounts: CgroupMount[],
  version: CgroupVersion,
  procCgroup: string,
): CgroupDirs | undefined {
  const entries = parseProcCgroup(procCgroup);
  const chosen = mountsFor(mounts, version);
  if (!chosen) return undefined;
  if (version === 2) {
    const entry = entries.find((e) => e.controllers.length === 0);
    const dir = entry && folderOf(chosen.memory, entry.path);
    return dir ? { version, memory: dir, cpu: dir } : undefined;
  }
  const pathOf = (controller: string) =>
    entries.find((e) => e.controllers.includes(controller))?.path;
  const memoryPath = pathOf('memory');
  const cpuPath = pathOf('cpuacct');
  const memory = memoryPath && folderOf(chosen.memory, memoryPath);
  const cpu = cpuPath && folderOf(chosen.cpu, cpuPath);
  return memory && cpu ? { version, memory, cpu } : undefined;
}

/** A flat-keyed file (`memory.stat`, `cpu.stat`): `key value` per line. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** The figures of one container, from the files its cgroup version names them by. */
export function readCgroup(dirs: CgroupDirs, readFile: ReadText): CgroupReading {
  const number = (path: string) => Number(readFile(path).trim());
  const stat = parseFlatKeyed(readFile(join(dirs.memory, 'memory.stat')));
  if (dirs.version === 2) {
    const cpu = parseFlatKeyed(readFile(join(dirs.cpu, 'cpu.stat')));
    const current = number(join(dirs.memory, 'memory.current'));
    return {
      cpuNanos: (cpu.get('usage_usec') ?? 0) * 1000,
      memoryBytes: Math.max(0, current - (stat.get('inactive_file') ?? 0)),
    };
  }
  const usage = number(join(dirs.memory, 'memory.usage_in_bytes'));
  return {
    cpuNanos: number(join(dirs.cpu, 'cpuacct.usage')),
    memoryBytes: Math.max(0, usage - (stat.get('total_inactive_file') ?? 0)),
  };
}
