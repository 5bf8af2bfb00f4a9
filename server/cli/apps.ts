/** `foyer apps [--json]`: the catalogue the daemon serves; `foyer catalog reload`. */
import { parseArgs } from 'node:util';
import type { AppSummary } from './api.js';
import { DaemonClient } from './client.js';
import { EXIT, json, out, table, UsageError } from './output.js';

export async function apps(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const list = await new DaemonClient().get<AppSummary[]>('/api/apps');
  if (values.json) {
    out(json(list));
    return EXIT.ok;
  }
  if (list.length === 0) {
    out('The catalogue is empty.\n');
    return EXIT.ok;
  }
  const rows = list.map((app) => [
    app.id,
    app.version,
    app.permissions.length > 0 ? `${app.permissions.length}` : '-',
    app.summary ? `${app.name}: ${app.summary}` : app.name,
  ]);
  out(table(['APP', 'VERSION', 'PERMISSIONS', 'DESCRIPTION'], rows));
  return EXIT.ok;
}

/** `foyer catalog reload [--json]`: the daemon reads its catalogue folders again. */
export async function reloadCatalog(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const result = await new DaemonClient().json<{
    apps: number;
    problems: { path: string; message: string }[];
  }>('POST', '/api/apps/reload', {});
  if (values.json) {
    out(json(result));
    return EXIT.ok;
  }
  const lines = result.problems.map((p) => `${p.path}: ${p.message}\n`);
  out(
    `${result.apps} apps in the catalogue${lines.length > 0 ? '; skipped:' : ''}\n${lines.join('')}`,
  );
  return EXIT.ok;
}
