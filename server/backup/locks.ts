/**
 * restic's locks that a killed daemon leaves (issue 15, recovery at start). `restic unlock`
 * removes a lock only when it is stale: older than 30 minutes, or made on this host by a PID
 * that no longer exists. restic runs under `setpriv --pdeathsig KILL`, so it dies with the
 * daemon; but PIDs are recycled (pid_max is 32768 on many boards, and a busy box wraps it in
 * minutes), and a lock whose PID now belongs to another program looks alive to restic for half
 * an hour, in which every backup, check and verification of that target fails. At start no
 * restic of this daemon runs, so a lock of this host whose PID is no restic process is one of
 * those. Pure: the process table is read through `commandOf`.
 */

/** One lock as `restic cat lock <id>` prints it (restic 0.14). */
export interface ResticLock {
  time: string;
  exclusive?: boolean;
  hostname: string;
  pid: number;
}

/** The lock file's JSON, or undefined when it is not one. */
export function parseLock(text: string): ResticLock | undefined {
  try {
    const value = JSON.parse(text) as Partial<ResticLock>;
    if (typeof value.hostname !== 'string' || typeof value.pid !== 'number') return undefined;
    return {
      time: String(value.time ?? ''),
      hostname: value.hostname,
      pid: value.pid,
      exclusive: !!value.exclusive,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether every lock is one a restic of this host left when it died: made on `host`, by a PID
 * that is no restic now (`commandOf`: the PID's command line, undefined when no such process).
 * Only then may all locks go (`restic unlock --remove-all`): a lock of another box sharing the
 * repository, or of a restic still running here, keeps them all.
 */
export function onlyDeadOwnLocks(
  locks: readonly ResticLock[],
  host: string,
  commandOf: (pid: number) => string | undefined,
): boolean {
  return (
    locks.length > 0 &&
    locks.every((lock) => lock.hostname === host && !/restic/.test(commandOf(lock.pid) ?? ''))
  );
}
