/**
 * The verbs that change an install: install, set (reconfigure), start,
 * stop, restart, update, uninstall. Each sends one request and gets a job;
 * `--wait` follows the job to its end (wait.ts), otherwise the job's id is
 * printed and the daemon carries on alone.
 */
import { parseArgs } from 'node:util';
import { type AppSummary, type JobAccepted, seg, type UpdatePreviewReply } from './api.js';
import { ApiError, DaemonClient } from './client.js';
import { EXIT, err, FailedError, json, out, plain, UsageError } from './output.js';
import { canAsk, confirm } from './prompt.js';
import { debianSummary } from './update-offers.js';
import { failure, startAndWait, stuckLimitMs, successText } from './wait.js';

const CHANGE_OPTIONS = {
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

interface ChangeFlags {
  wait?: boolean;
  json?: boolean;
  /** Seconds an install may keep failing before --wait gives up (wait.ts). */
  timeout?: string;
}

/** `KEY=VALUE` arguments as a settings object; the daemon checks the keys and values. */
export function parseSettings(pairs: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`a setting is KEY=VALUE, not "${pair}"`);
    settings[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return settings;
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  return positionals[0]!;
}

/** Sends a change and reports it: the job started, or with --wait how it ended. */
export async function change(
  client: DaemonClient,
  title: string,
  send: () => Promise<JobAccepted>,
  flags: ChangeFlags,
): Promise<number> {
  // Checked before anything is sent, so a mistyped limit changes nothing.
  const stuckMs = stuckLimitMs(flags.timeout);
  if (!flags.wait) {
    const accepted = await send();
    if (flags.json) out(json(accepted));
    else
      out(
        `${title} (job ${accepted.job.id}). Follow it with: foyer status ${accepted.install.id}\n`,
      );
    return EXIT.ok;
  }
  const { accepted, job } = await startAndWait(client, send, {
    title,
    // With --json, stdout carries only the JSON document.
    stream: flags.json ? process.stderr : process.stdout,
    stuckLimitMs: stuckMs,
  });
  const id = accepted.install.id;
  if (flags.json) {
    const install = await client.get(`/api/installs/${seg(id)}`).catch((error: unknown) => {
      if (error instanceof ApiError && error.statusCode === 404) return null;
      throw error;
    });
    out(json({ install, job }));
  }
  if (job.state !== 'succeeded') throw failure(job, id);
  if (!flags.json) out(`${successText(job, id)}\n`);
  return EXIT.ok;
}

/** The app's permissions in plain words, accepted by flag or by a person at the terminal. */
async function acceptPermissions(
  app: AppSummary,
  accepted: boolean | undefined,
): Promise<string[]> {
  const list = app.permissions.map((p) => p.permission);
  if (list.length === 0 || accepted) return list;
  const lines = app.permissions.map(
    (p) => `  - ${plain(p.description)} (${plain(p.permission)})\n`,
  );
  const text = `The app "${plain(app.name)}" (${app.id}) needs these powers over this machine:\n${lines.join('')}`;
  if (canAsk()) {
    err(text);
    if (await confirm('Accept these permissions and install?')) return list;
    throw new FailedError('not installed: the permissions were not accepted');
  }
  throw new FailedError(
    `${text}Not installed: run again with --accept-permissions to accept them.`,
  );
}

/** A refusal for room says what the app needs and what is free, then how to go ahead anyway. */
function withOverrideHint(error: unknown): never {
  if (error instanceof ApiError && error.code === 'FOYER_INSUFFICIENT_RESOURCES') {
    const lines = error.problems.map((p) => `  ${plain(p.path)}: ${plain(p.message)}\n`);
    throw new FailedError(
      `Not installed: this server lacks room for the app:\n${lines.join('')}` +
        'Install anyway with --ignore-requirements.',
    );
  }
  throw error;
}

/**
 * `foyer install <app> [--id ID] [--set KEY=VALUE…] [--accept-permissions] [--ignore-requirements]
 * [--wait] [--json]`
 */
export async function install(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CHANGE_OPTIONS,
      id: { type: 'string' },
      set: { type: 'string', multiple: true },
      'accept-permissions': { type: 'boolean' },
      'ignore-requirements': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const appId = onePositional(positionals, 'the app to install (see: foyer apps)');
  const settings = parseSettings(values.set ?? []);
  const client = new DaemonClient();
  const app = await client.get<AppSummary>(`/api/apps/${seg(appId)}`);
  const accepted = await acceptPermissions(app, values['accept-permissions']);
  const body = {
    app: appId,
    ...(values.id === undefined ? {} : { id: values.id }),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    ...(accepted.length > 0 ? { acceptPermissions: accepted } : {}),
    ...(values['ignore-requirements'] ? { allowInsufficientResources: true } : {}),
  };
  const send = () =>
    client.json<JobAccepted>('POST', '/api/installs', body).catch(withOverrideHint);
  return change(client, `Installing ${values.id ?? appId}`, send, values);
}

/** `foyer set <install> KEY=VALUE… [--wait] [--json]`: reconfigure. */
export async function set(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: CHANGE_OPTIONS,
    allowPositionals: true,
  });
  const [id, ...pairs] = positionals;
  if (id === undefined) throw new UsageError('missing the install (see: foyer status)');
  if (pairs.length === 0) throw new UsageError('missing the settings to change, as KEY=VALUE');
  const settings = parseSettings(pairs);
  const client = new DaemonClient();
  const send = () => client.json<JobAccepted>('PATCH', `/api/installs/${seg(id)}`, { settings });
  return change(client, `Reconfiguring ${id}`, send, values);
}

const ACTION_TITLES = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
} as const;

/** `foyer start|stop|restart <install> [--wait] [--json]` */
export function action(verb: keyof typeof ACTION_TITLES) {
  return async (args: string[]): Promise<number> => {
    const { values, positionals } = parseArgs({
      args,
      options: CHANGE_OPTIONS,
      allowPositionals: true,
    });
    const id = onePositional(positionals, 'the install (see: foyer status)');
    const client = new DaemonClient();
    const send = () => client.json<JobAccepted>('POST', `/api/installs/${seg(id)}/${verb}`);
    return change(client, `${ACTION_TITLES[verb]} ${id}`, send, values);
  };
}

/** `foyer uninstall <install> [--purge] [--yes] [--wait] [--json]` */
export async function uninstall(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CHANGE_OPTIONS,
      purge: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    },
    allowPositionals: true,
  });
  const id = onePositional(positionals, 'the install (see: foyer status)');
  // Purge deletes data for good: a person at the terminal is asked once.
  if (values.purge && !values.yes && canAsk()) {
    if (!(await confirm(`Uninstall ${id} and delete its data for good?`))) {
      throw new FailedError(`${id} was left as it is`);
    }
  }
  const client = new DaemonClient();
  const query = values.purge ? '?purge=true' : '';
  const send = () => client.json<JobAccepted>('DELETE', `/api/installs/${seg(id)}${query}`);
  return change(client, `Uninstalling ${id}`, send, values);
}

/** What an update changes, for a person (issue 17). */
export function updateSummary(preview: UpdatePreviewReply): string {
  const changes = preview.changes;
  const debian = debianSummary(preview.debian);
  if (!changes && debian)
    return `${debian}the update rebuilds those images without cache, so the new packages come in\n`;
  if (!changes) {
    const why =
      preview.catalog === 'removed'
        ? 'the catalogue no longer has this app; it keeps running from its pinned copy'
        : `the catalogue offers nothing newer than ${preview.version ?? 'what runs'}`;
    return `${why}: the update refreshes its images (a new pull, or a rebuild)\n`;
  }
  const lines = [`${preview.install}: ${changes.from ?? '?'} → ${changes.to ?? '?'}`];
  for (const image of changes.images)
    lines.push(`  ${image.service}: ${image.from ?? '(new service)'} → ${image.to ?? '(removed)'}`);
  for (const p of changes.permissions.added)
    lines.push(`  asks anew: ${plain(p.description)} (${plain(p.permission)})`);
  for (const p of changes.permissions.removed) lines.push(`  no longer needs: ${plain(p)}`);
  if (changes.settings.added.length > 0)
    lines.push(`  new settings: ${changes.settings.added.join(', ')}`);
  if (changes.settings.removed.length > 0)
    lines.push(`  settings dropped: ${changes.settings.removed.join(', ')}`);
  return `${lines.join('\n')}\n${debian}`;
}

/**
 * `foyer update <install> [--set KEY=VALUE…] [--accept-permissions] [--yes] [--wait] [--json]`:
 * the only way an install moves to the catalogue's definition; says what changes first, and
 * asks for the permissions the new version asks anew.
 */
export async function update(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CHANGE_OPTIONS,
      set: { type: 'string', multiple: true },
      'accept-permissions': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      check: { type: 'boolean' },
      auto: { type: 'string' },
      window: { type: 'string' },
    },
    allowPositionals: true,
  });
  const id = onePositional(positionals, 'the install (see: foyer status)');
  const client = new DaemonClient();
  // Issue 15: check Debian's archive now, or set automatic updates; neither updates anything.
  if (values.auto !== undefined || values.window !== undefined) {
    const { setAutoUpdate } = await import('./update-offers.js');
    return setAutoUpdate(client, id, values);
  }
  if (values.check) return (await import('./update-offers.js')).checkNow(client, id, values.json);
  const settings = parseSettings(values.set ?? []);
  const preview = await client.get<UpdatePreviewReply>(`/api/installs/${seg(id)}/update`);
  // With --json, stdout carries only the JSON document.
  (values.json ? err : out)(updateSummary(preview));
  const asked = preview.changes?.permissions.added ?? [];
  if (asked.length > 0 && !values['accept-permissions'] && !values.yes) {
    if (!canAsk())
      throw new FailedError(
        'Not updated: the new version asks for more access; run again with --accept-permissions.',
      );
    if (!(await confirm('Accept these permissions and update?')))
      throw new FailedError(`not updated: ${id} was left as it is`);
  }
  const body = {
    ...(asked.length > 0 ? { acceptPermissions: asked.map((p) => p.permission) } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
  const send = () => client.json<JobAccepted>('POST', `/api/installs/${seg(id)}/update`, body);
  return change(client, `Updating ${id}`, send, values);
}
