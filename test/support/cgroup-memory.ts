// A container's memory read from its cgroup, the way the kernel counts it, instead of the
// engine's stats API (which samples for a second or more per container). Works on cgroup v1
// (memory controller) and v2 (unified); the container is found through its main process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupMemory {
  /** Anonymous memory plus file pages mapped into processes: what `ps` would call resident. */
  resident: number;
  /** Anonymous memory only (heap, stacks). */
  anon: number;
  /** Everything charged to the cgroup, page cache included. */
  usage: number;
  /** The cgroup's folder, for a person checking the figure. */
  path: string;
}

/** The memory of the cgroup the process `pid` (a container's State.Pid) belongs to. */
export function cgroupMemory(pid: number): CgroupMemory {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.find((line) => line.split(':')[1]?.split(',').includes('memory'));
  if (v1) {
    const path = join('/sys/fs/cgroup/memory', v1.split(':')[2] ?? '');
    const stat = readStat(join(path, 'memory.stat'));
    const anon = stat.total_rss ?? stat.rss ?? 0;
    return {
      anon,
      resident: anon + (stat.total_mapped_file ?? stat.mapped_file ?? 0),
      usage: Number(readFileSync(join(path, 'memory.usage_in_bytes'), 'utf8')),
      path,
    };
  }
  const v2 = lines.find((line) => line.startsWith('0::'));
  if (!v2) throw new Error(`no memory cgroup for process ${pid}: ${lines.join('; ')}`);
  const path = join('/sys/fs/cgroup', v2.slice(3));
  const stat = readStat(join(path, 'memory.stat'));
  const anon = stat.anon ?? 0;
  return {
    anon,
    resident: anon + (stat.file_mapped ?? 0),
    usage: Number(readFileSync(join(path, 'memory.current'), 'utf8')),
    path,
  };
}

function readStat(file: string): Record<string, number> {
  const stat: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) stat[key] = Number(value);
  }
  return stat;
}
