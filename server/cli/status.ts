/** `foyer status [<install>] [--json]`: every install's state, or one install with its services. */
import { parseArgs } from 'node:util';
import type { Static } from '@sinclair/typebox';
import { formatBytes } from '../resources/bytes.js';
import type { ResourcesReply } from '../routes/schemas.js';
import { type Install, seg } from './api.js';
import { ApiError, DaemonClient } from './client.js';
import { columns, EXIT, json, out, table, UsageError } from './output.js';

/** Before the reconciler has looked at an install, it has no status yet. */
const UNKNOWN = 'pending';

export async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const client = new DaemonClient();
  const id = positionals[0];
  if (id === undefined) {
    const installs = await client.get<Install[]>('/api/installs');
    if (values.json) out(json(installs));
    else if (installs.length === 0)
      out('Nothing is installed. See the catalogue with: foyer apps\n');
    else out(installsTable(installs));
    return EXIT.ok;
  }
  const install = await client.get<Install>(`/api/installs/${seg(id)}`);
  const resources = await resourcesOf(client, id);
  out(values.json ? json({ ...install, resources }) : installText(install, resources));
  return EXIT.ok;
}

type Resources = Static<typeof ResourcesReply>;

/**
 * The install's CPU, memory and disk; null for a member (admins only), a daemon before issue 12
 * (no such route) or an engine that is down.
 */
async function resourcesOf(client: DaemonClient, id: string): Promise<Resources | null> {
  try {
    return await client.get<Resources>(`/api/installs/${seg(id)}/resources`);
  } catch (error) {
    if (error instanceof ApiError && [403, 404, 503].includes(error.statusCode)) return null;
    throw error;
  }
}

/** The figures `foyer status <install>` prints, in the words of the app page. */
export function resourceFields(resources: Resources): [string, string][] {
  const cpu = resources.cpuPercent === null ? 'measuring…' : `${resources.cpuPercent}% of one core`;
  const { volumes, images } = resources.diskBytes;
  return [
    ['cpu', cpu],
    ['memory', formatBytes(resources.memoryBytes)],
    ['disk', `${formatBytes(volumes)} in volumes, ${formatBytes(images)} of images`],
  ];
}

function installsTable(installs: Install[]): string {
  const rows = installs.map((install) => [
    install.id,
    install.app,
    install.version ?? '',
    catalogNote(install),
    install.status?.state ?? UNKNOWN,
    install.status?.reason ?? '',
  ]);
  return table(['INSTALL', 'APP', 'VERSION', 'CATALOGUE', 'STATE', 'REASON'], rows);
}

/** What the catalogue offers for the install's app, in a few words (issue 17). */
function catalogNote(install: Install): string {
  if (install.available !== undefined) return `update: ${install.available}`;
  if (install.catalog === 'removed') return 'no longer listed';
  if (install.catalog === 'invalid') return 'broken in catalogue';
  return 'up to date';
}

/** One install: its state, what it should be, its settings and a table of its services. */
function installText(install: Install, resources: Resources | null): string {
  const fields: [string, string][] = [
    ['install', install.id],
    ['app', install.app],
    ['version', install.version ?? 'not pinned'],
    ['catalogue', catalogNote(install)],
    ['state', install.status?.state ?? UNKNOWN],
    ['desired', install.desired],
  ];
  if (install.status?.reason) fields.push(['reason', install.status.reason]);
  if (resources) fields.push(...resourceFields(resources));
  for (const problem of install.catalogProblems ?? [])
    fields.push(['problem', `${problem.path}: ${problem.message}`]);
  if (install.available !== undefined)
    fields.push(['update', `foyer update ${install.id} moves it to ${install.available}`]);
  const settings = Object.entries(install.settings);
  if (settings.length > 0)
    fields.push(['settings', settings.map(([k, v]) => `${k}=${v}`).join(' ')]);
  if (install.acceptedPermissions.length > 0)
    fields.push(['permissions', install.acceptedPermissions.join(', ')]);
  let text = columns(fields.map(([k, v]) => [`${k}:`, v]));
  const services = install.status?.services ?? [];
  if (services.length > 0) {
    const rows = services.map((s) => [
      s.name,
      s.state,
      s.health ?? '',
      String(s.restarts + s.healthRestarts),
      s.exitCode === undefined ? '' : String(s.exitCode),
      s.reason ?? '',
    ]);
    text += `\n${table(['SERVICE', 'STATE', 'HEALTH', 'RESTARTS', 'EXIT', 'REASON'], rows)}`;
  }
  return text;
}
