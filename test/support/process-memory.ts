// A process's own memory as the kernel reports it in /proc (the daemon's, in the benches):
// the resident set from /proc/<pid>/status and the proportional set from smaps_rollup.
import { readFileSync } from 'node:fs';

/** A field of /proc/<pid>/status in MiB: VmRSS (resident), RssAnon, RssFile, VmHWM (peak). */
export function statusMiB(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * The proportional set size in MiB (Pss from /proc/<pid>/smaps_rollup): the resident set with
 * each shared page divided among the processes sharing it. NaN where the kernel lacks the file.
 */
export function pssMiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
