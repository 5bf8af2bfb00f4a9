/**
 * `foyer members pending-data [--retry] [--json]` (issue 14): removed members' data the daemon
 * has still to delete, each place with its tries and last error; `--retry` tries them now.
 */
import type { DaemonClient } from './client.js';
import { EXIT, json, out, plain, table } from './output.js';

/** A place of `GET /api/members/pending-data`. */
interface PendingPlace {
  member: string;
  install: string;
  volume: string;
  path: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** Lists (after a retry with `retry`) what waits; exits 1 when something still does. */
export async function pendingData(
  client: DaemonClient,
  flags: { retry?: boolean; json?: boolean },
): Promise<number> {
  const pending = flags.retry
    ? (
        await client.json<{ pending: PendingPlace[]; deleted: PendingPlace[] }>(
          'POST',
          '/api/members/pending-data/retry',
        )
      ).pending
    : (await client.get<{ pending: PendingPlace[] }>('/api/members/pending-data')).pending;
  if (flags.json) out(json(pending));
  else if (pending.length === 0) out("No removed member's data waits to be deleted\n");
  else {
    out(
      table(
        ['MEMBER', 'INSTALL', 'PLACE', 'TRIES', 'NEXT TRY', 'LAST ERROR'],
        pending.map((p) => [
          p.member,
          p.install,
          `${p.volume}:${p.path}`,
          String(p.attempts),
          p.nextAttemptAt ?? '-',
          plain(p.lastError ?? '-'),
        ]),
      ),
    );
  }
  return flags.retry && pending.length > 0 ? EXIT.failed : EXIT.ok;
}
