/**
 * `foyer backup …` and `foyer restore …` (issue 15; the names are interfaces held-out checks
 * use): targets, runs, snapshots, verification, restore. Long work is a job; `--wait` follows
 * it on the event stream, showing restic's progress, and exits 1 when it fails.
 */
import { parseArgs } from 'node:util';
import type { StagedState as Staged } from '../backup/state-restore.js';
import { type Job, jobFinished, seg } from './api.js';
import { DaemonClient } from './client.js';
import { serverEvents } from './events.js';
import { EXIT, err, FailedError, json, out, plain, table, UsageError } from './output.js';
import { readStdin } from './prompt.js';

interface Target {
  name: string;
  repository: string;
  kind: string;
  createdAt: string;
  /** Whether the last listing of snapshots could read it (null before any). */
  reachable?: boolean | null;
  unreachableReason?: string | null;
}

interface Snapshot {
  id: string;
  shortId: string;
  target: string;
  time: string;
  install: string | null;
  app: string | null;
  version: string | null;
  state: boolean;
  size: number | null;
  verified: boolean | null;
  verifiedAt: string | null;
  verifyNote: string | null;
}

interface LastVerified {
  at: string;
  ok: boolean;
  snapshot: string;
  note: string;
}

/** `foyer backup target add|list`, `backup run|list|verify|key`. */
export async function backup(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      wait: { type: 'boolean' },
      target: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      window: { type: 'string' },
      hours: { type: 'string' },
      'keep-daily': { type: 'string' },
      'keep-weekly': { type: 'string' },
      'keep-monthly': { type: 'string' },
      verify: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [sub, ...rest] = positionals;
  const client = new DaemonClient();
  switch (sub) {
    case 'target':
      if (rest[0] === 'add') {
        if (rest.length !== 3)
          throw new UsageError('foyer backup target add <name> <restic-repository>');
        return addTarget(client, rest[1]!, rest[2]!, values);
      }
      if (rest[0] === 'list' && rest.length === 1) return listTargets(client, values.json);
      throw new UsageError('use: foyer backup target add <name> <repository> | target list');
    case 'run': {
      if (rest.length > 1) throw new UsageError('foyer backup run takes at most one install');
      const body = {
        ...(rest[0] ? { install: rest[0] } : {}),
        ...(values.target ? { target: values.target } : {}),
      };
      return jobCommand(
        client,
        () => client.json('POST', '/api/backup/runs', body),
        values,
        'Backed up',
      );
    }
    case 'list':
      if (rest.length > 1) throw new UsageError('foyer backup list takes at most one install');
      return listSnapshots(client, rest[0], values.json);
    case 'verify':
      if (rest.length !== 1) throw new UsageError('foyer backup verify takes one install');
      return jobCommand(
        client,
        () => client.json('POST', '/api/backup/verify', { install: rest[0] }),
        values,
        'Verified',
      );
    case 'schedule':
      return schedule(client, rest, values);
    case 'key': {
      const { publicKey } = await client.get<{ publicKey: string }>('/api/backup/ssh-key');
      out(`${publicKey}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(
        `unknown "backup ${sub ?? ''}"; use target, run, list, verify, schedule or key`,
      );
  }
}

interface Schedule {
  enabled: boolean;
  window: string;
  hours: number;
  retention: { daily: number; weekly: number; monthly: number };
  verifyAfterBackup: boolean;
  checkEveryDays: number;
  checkParts: number;
}

/**
 * `foyer backup schedule [on|off] [--window HH:MM] [--hours N] [--keep-daily N]
 * [--keep-weekly N] [--keep-monthly N] [--verify yes|no] [--json]`: shows the nightly schedule,
 * changed first when asked (the daemon checks the values).
 */
async function schedule(
  client: DaemonClient,
  rest: string[],
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  if (rest.length > 1 || (rest[0] && rest[0] !== 'on' && rest[0] !== 'off'))
    throw new UsageError('foyer backup schedule [on|off] [--window HH:MM] [--hours N] …');
  const current = await client.get<Schedule>('/api/backup/schedule');
  const number = (key: string): number | undefined => {
    const value = values[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^\d+$/.test(value))
      throw new UsageError(`--${key}: a whole number`);
    return Number(value);
  };
  if (values.verify !== undefined && values.verify !== 'yes' && values.verify !== 'no')
    throw new UsageError('--verify: yes or no');
  const next: Schedule = {
    ...current,
    ...(rest[0] ? { enabled: rest[0] === 'on' } : {}),
    ...(typeof values.window === 'string' ? { window: values.window } : {}),
    hours: number('hours') ?? current.hours,
    retention: {
      daily: number('keep-daily') ?? current.retention.daily,
      weekly: number('keep-weekly') ?? current.retention.weekly,
      monthly: number('keep-monthly') ?? current.retention.monthly,
    },
    ...(values.verify ? { verifyAfterBackup: values.verify === 'yes' } : {}),
  };
  const shown =
    JSON.stringify(next) === JSON.stringify(current)
      ? current
      : await client.json<Schedule>('PUT', '/api/backup/schedule', next);
  if (values.json) {
    out(json(shown));
    return EXIT.ok;
  }
  const r = shown.retention;
  out(
    `Nightly backups: ${shown.enabled ? 'on' : 'off'}, from ${shown.window} for ${shown.hours} h\n` +
      `Keep: ${r.daily} daily, ${r.weekly} weekly, ${r.monthly} monthly (forget --prune after each run)\n` +
      `Verify each backup in a scratch install: ${shown.verifyAfterBackup ? 'yes' : 'no'}\n` +
      `Check 1/${shown.checkParts} of the data every ${shown.checkEveryDays} days\n`,
  );
  return EXIT.ok;
}

/**
 * `foyer restore <install> [--snapshot <id>] [--as <new-install>] [--wait]`, and onto a new
 * box `foyer restore --state [--snapshot <id>] [--force] [--apps] [--wait]`.
 */
export async function restore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      wait: { type: 'boolean' },
      snapshot: { type: 'string' },
      as: { type: 'string' },
      state: { type: 'boolean' },
      force: { type: 'boolean' },
      apps: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.state) {
    if (positionals.length > 0 || values.as)
      throw new UsageError('foyer restore --state [--snapshot <id>] [--force] [--apps] [--wait]');
    return restoreState(new DaemonClient(), values);
  }
  if (values.force || values.apps) throw new UsageError('--force and --apps go with --state');
  if (positionals.length !== 1) throw new UsageError('foyer restore takes one install');
  const body = {
    install: positionals[0],
    ...(values.snapshot ? { snapshot: values.snapshot } : {}),
    ...(values.as ? { as: values.as } : {}),
  };
  const client = new DaemonClient();
  return jobCommand(
    client,
    () => client.json('POST', '/api/backup/restore', body),
    values,
    'Restored',
  );
}

async function addTarget(
  client: DaemonClient,
  name: string,
  repository: string,
  flags: { json?: boolean; 'password-stdin'?: boolean },
): Promise<number> {
  const password = flags['password-stdin'] ? await readStdin() : undefined;
  if (password === '') throw new UsageError('--password-stdin read an empty password');
  const answer = await client.json<{ target: Target; recoveryKit?: string; publicKey?: string }>(
    'POST',
    '/api/backup/targets',
    { name, repository, ...(password === undefined ? {} : { password }) },
  );
  if (flags.json) {
    out(json(answer));
    return EXIT.ok;
  }
  out(`Added backup target ${answer.target.name} (${answer.target.repository})\n`);
  if (answer.recoveryKit) {
    out('\n');
    out(answer.recoveryKit);
    out('\nThis is the only time Foyer shows this password. Save it now.\n');
  }
  return EXIT.ok;
}

async function listTargets(client: DaemonClient, asJson?: boolean): Promise<number> {
  const targets = await client.get<Target[]>('/api/backup/targets');
  if (asJson) out(json(targets));
  else if (targets.length === 0)
    out('No backup target yet: foyer backup target add <name> <restic-repository>\n');
  else
    out(
      table(
        ['NAME', 'KIND', 'REPOSITORY', 'ADDED'],
        targets.map((t) => [t.name, t.kind, t.repository, t.createdAt]),
      ),
    );
  return EXIT.ok;
}

const size = (bytes: number | null) => {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
};

async function listSnapshots(
  client: DaemonClient,
  install?: string,
  asJson?: boolean,
): Promise<number> {
  const query = install ? `?install=${seg(install)}` : '';
  const snapshots = await client.get<Snapshot[]>(`/api/backup/snapshots${query}`);
  if (asJson) {
    out(json(snapshots));
    return EXIT.ok;
  }
  // The listing just made says which targets could not be read; the others still answered.
  const targets = await client.get<Target[]>('/api/backup/targets');
  for (const t of targets.filter((t) => t.reachable === false))
    err(`warning: target ${t.name} could not be read: ${t.unreachableReason}\n`);
  if (snapshots.length === 0) {
    out(
      install
        ? `No snapshot of ${install} yet: foyer backup run ${install}\n`
        : 'No snapshot yet: foyer backup run\n',
    );
    return EXIT.ok;
  }
  const rows = snapshots.map((s) => [
    s.shortId,
    s.time.replace(/\.\d+/, ''),
    s.state ? "(Foyer's state)" : (s.install ?? '-'),
    s.version ?? '-',
    s.target,
    size(s.size),
    s.verified === null ? 'no' : s.verified ? `yes (${s.verifiedAt?.slice(0, 10)})` : 'FAILED',
  ]);
  out(table(['SNAPSHOT', 'TIME', 'INSTALL', 'VERSION', 'TARGET', 'SIZE', 'VERIFIED'], rows));
  // Per install, the newest restore into a scratch install (the install view's field).
  const installs =
    await client.get<{ id: string; lastVerifiedRestore: LastVerified | null }[]>('/api/installs');
  const shown = installs.filter(
    (i) => (!install || i.id === install) && snapshots.some((s) => s.install === i.id),
  );
  if (shown.length > 0) out('\nLast verified restore:\n');
  for (const i of shown) {
    const last = i.lastVerifiedRestore;
    out(
      last
        ? `  ${i.id}: ${last.ok ? 'ok' : 'FAILED'} ${last.at.replace(/\.\d+/, '')} (snapshot ${last.snapshot}): ${last.note}\n`
        : `  ${i.id}: never (foyer backup verify ${i.id})\n`,
    );
  }
  return EXIT.ok;
}

/** Starts a job; with --wait follows it to its end (restic's progress on stderr when --json). */
async function jobCommand(
  client: DaemonClient,
  start: () => Promise<{ job: Job }>,
  flags: { json?: boolean; wait?: boolean },
  done: string,
): Promise<number> {
  if (!flags.wait) {
    const { job } = await start();
    if (flags.json) out(json(job));
    else out(`Started ${job.kind} job ${job.id}${job.installId ? ` for ${job.installId}` : ''}\n`);
    return EXIT.ok;
  }
  const abort = new AbortController();
  const events = await client.stream('/api/events', 'text/event-stream', abort.signal);
  events.on('error', () => {});
  const show = flags.json ? err : out;
  try {
    const { job } = await start();
    let ended: Job | undefined;
    const follow = (async () => {
      try {
        for await (const { event, data } of serverEvents(events)) {
          const payload = JSON.parse(data) as Record<string, unknown>;
          if (event === 'job' && payload.id === job.id && jobFinished(payload as unknown as Job)) {
            ended = payload as unknown as Job;
            return;
          }
          if (event !== 'progress' || payload.job !== job.id) continue;
          if (payload.kind === 'backup-step') show(`${plain(String(payload.text))}\n`);
          else if (payload.kind === 'backup' && process.stdout.isTTY && !flags.json)
            process.stdout.write(
              `\r  ${(Number(payload.percent) * 100).toFixed(0)}%  ${size(Number(payload.bytesDone))} of ${size(Number(payload.totalBytes))}   `,
            );
        }
      } catch {
        // The stream ended; the job is asked for below.
      }
    })();
    for (;;) {
      if (ended) break;
      const current = await client.get<Job>(`/api/jobs/${seg(job.id)}`);
      if (jobFinished(current)) {
        ended = current;
        break;
      }
      await Promise.race([follow, new Promise((r) => setTimeout(r, 1000))]);
    }
    if (process.stdout.isTTY && !flags.json) process.stdout.write('\n');
    if (flags.json) out(json(ended));
    if (ended.state !== 'succeeded')
      throw new FailedError(`${ended.kind} ${ended.state}: ${ended.error ?? 'no reason given'}`);
    if (!flags.json) out(`${done}${ended.installId ? ` ${ended.installId}` : ''}\n`);
    return EXIT.ok;
  } finally {
    abort.abort();
    events.destroy();
  }
}

/** `POST /api/backup/restore-state` answers the staged state and that the daemon restarts. */
type StagedState = Staged & { restarting: boolean };

/** Installs every box has of its own; `--apps` leaves them to the state they came back with. */
const CORE = new Set(['edge', 'directory']);

/**
 * Onto a new box: the daemon stages Foyer's state from the newest `foyer-state` snapshot and
 * restarts on it (state-restore.ts); `--wait` waits for it to answer again, `--apps` (which
 * waits) then restores every app's newest snapshot in place, one after another.
 */
async function restoreState(
  client: DaemonClient,
  flags: { json?: boolean; wait?: boolean; snapshot?: string; force?: boolean; apps?: boolean },
): Promise<number> {
  const staged = await client.json<StagedState>('POST', '/api/backup/restore-state', {
    ...(flags.snapshot ? { snapshot: flags.snapshot } : {}),
    ...(flags.force ? { force: true } : {}),
  });
  const say = flags.json ? err : out;
  say(
    `Restoring Foyer's state from snapshot ${staged.snapshot} (${staged.time.replace(/\.\d+/, '')}, target ${staged.target})\n` +
      `  installs: ${staged.installs.join(', ') || 'none'}\n  backup targets: ${staged.targets.join(', ') || 'none'}\n`,
  );
  if (!staged.restarting) {
    say('Stop Foyer and start it again: the restored state is put in place as it starts.\n');
    if (flags.json) out(json(staged));
    return EXIT.ok;
  }
  if (!flags.wait && !flags.apps) {
    say('Foyer restarts on the restored state now.\n');
    if (flags.json) out(json(staged));
    return EXIT.ok;
  }
  await backOnRestoredState(client, staged.installs);
  say(
    "Foyer runs on the restored state. Sign in with the old box's admin account and password" +
      `${staged.users === 0 ? ' (the old box had no admin yet: finish the first-run setup)' : ''}.\n`,
  );
  const apps = staged.installs.filter((i) => !CORE.has(i));
  const failed: string[] = [];
  if (flags.apps) {
    for (const install of apps) {
      say(`Restoring ${install}…\n`);
      try {
        await jobCommand(
          client,
          () => client.json('POST', '/api/backup/restore', { install }),
          { wait: true, json: flags.json },
          'Restored',
        );
      } catch (error) {
        failed.push(install);
        err(`${install}: ${(error as Error).message}\n`);
      }
    }
  } else if (apps.length > 0) {
    say(`Bring each app's data back with: ${apps.map((a) => `foyer restore ${a}`).join('; ')}\n`);
  }
  if (flags.json) out(json({ ...staged, failed }));
  if (failed.length > 0) throw new FailedError(`not restored: ${failed.join(', ')}`);
  return EXIT.ok;
}

/** Waits (2 min at most) for the restarted daemon to answer with the restored installs. */
async function backOnRestoredState(client: DaemonClient, installs: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  // The old daemon stops serving first; give it a moment so it is not the one that answers.
  await new Promise((r) => setTimeout(r, 1000));
  for (;;) {
    try {
      const listed = await client.get<{ id: string }[]>('/api/installs');
      const ids = new Set(listed.map((i) => i.id));
      if (installs.every((i) => ids.has(i))) return;
    } catch {
      // Not answering yet.
    }
    if (Date.now() > deadline)
      throw new FailedError('Foyer did not answer on the restored state within 2 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
}
