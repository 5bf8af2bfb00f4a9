/** `foyer images prune [--json]`: removes the images Foyer built that nothing needs. */
import { parseArgs } from 'node:util';
import { DaemonClient } from './client.js';
import { EXIT, json, out, plain, UsageError } from './output.js';

interface PruneReply {
  removed: { id: string; tags: string[]; install?: string }[];
}

export async function images(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [action, extra] = positionals;
  if (action !== 'prune')
    throw new UsageError(action ? `unknown action "${action}"` : 'missing the action: prune');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const reply = await new DaemonClient().json<PruneReply>('POST', '/api/images/prune');
  if (values.json) {
    out(json(reply));
    return EXIT.ok;
  }
  if (reply.removed.length === 0) {
    out('No image to remove: every image Foyer built is in use.\n');
    return EXIT.ok;
  }
  for (const image of reply.removed) {
    const name = image.tags[0] ?? `${image.id.replace(/^sha256:/, '').slice(0, 12)} (untagged)`;
    out(`Removed ${plain(name)}\n`);
  }
  out(`Removed ${reply.removed.length} image${reply.removed.length === 1 ? '' : 's'}.\n`);
  return EXIT.ok;
}
