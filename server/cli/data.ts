/**
 * `foyer data [--json]` lists the data uninstalls without purge kept
 * (volumes and folders of installs that are gone); `foyer data rm <install>
 * [--yes] [--json]` deletes one install's kept data for good. Installing
 * the same app again with the same id (`foyer install <app> --id <install>`)
 * uses the kept data instead.
 */
import { parseArgs } from 'node:util';
import type { Static } from '@sinclair/typebox';
import type { KeptDataReply } from '../routes/schemas.js';
import { type Job, seg } from './api.js';
import { DaemonClient } from './client.js';
import { EXIT, FailedError, json, out, table, UsageError } from './output.js';
import { canAsk, confirm } from './prompt.js';

type KeptData = Static<typeof KeptDataReply>;

/** `foyer data [--json]` and `foyer data rm <install> [--yes] [--json]`. */
export async function data(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
    allowPositionals: true,
  });
  const [sub, ...rest] = positionals;
  if (sub === undefined) return list(values.json);
  if (sub !== 'rm') throw new UsageError(`unknown "data ${sub}"; use: foyer data, foyer data rm`);
  if (rest.length !== 1) throw new UsageError('foyer data rm takes one install id');
  return remove(rest[0]!, values);
}

async function list(asJson: boolean | undefined): Promise<number> {
  const kept = await new DaemonClient().get<KeptData[]>('/api/kept-data');
  if (asJson) {
    out(json(kept));
    return EXIT.ok;
  }
  if (kept.length === 0) {
    out('No kept data: every volume Foyer made belongs to an install.\n');
    return EXIT.ok;
  }
  const rows = kept.map((k) => [
    k.install,
    k.app ?? '-',
    k.volumes.join(', ') || '-',
    k.folder ?? '-',
  ]);
  out(table(['INSTALL', 'APP', 'VOLUMES', 'FOLDER'], rows));
  out(
    '\nInstall again with the same id to use it (foyer install <app> --id <install>),\n' +
      'or delete it for good: foyer data rm <install>\n',
  );
  return EXIT.ok;
}

async function remove(id: string, flags: { json?: boolean; yes?: boolean }): Promise<number> {
  if (!flags.yes && canAsk()) {
    if (!(await confirm(`Delete the kept data of ${id} for good?`))) {
      throw new FailedError(`the data of ${id} was kept`);
    }
  }
  const answer = await new DaemonClient().json<{ deleted: KeptData; job: Job }>(
    'DELETE',
    `/api/kept-data/${seg(id)}`,
  );
  if (flags.json) out(json(answer));
  else {
    const count = answer.deleted.volumes.length;
    out(`Deleted the kept data of ${id} (${count} volume${count === 1 ? '' : 's'})\n`);
  }
  return EXIT.ok;
}
