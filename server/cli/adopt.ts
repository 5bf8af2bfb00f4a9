/**
 * `foyer adopt <install> [--force NAME…] [--yes] [--wait [--timeout S]] [--json]` (issue 12
 * §2): shows the objects a lost Foyer left for the install — owner, and whether that owner
 * still runs — asks once, then takes them over (the data first) and follows the install.
 */
import { parseArgs } from 'node:util';
import { type JobAccepted, seg } from './api.js';
import { DaemonClient } from './client.js';
import { change } from './installs.js';
import { err, FailedError, out, plain, UsageError } from './output.js';
import { canAsk, confirm } from './prompt.js';

interface Adoption {
  install: string;
  objects: {
    kind: string;
    name: string;
    owner: Record<string, string>;
    live?: boolean;
    refusal?: string;
  }[];
}

/** What adopting takes, for a person. */
export function adoptionText(plan: Adoption): string {
  if (plan.objects.length === 0) return `Nothing to adopt for ${plan.install}.\n`;
  const lines = plan.objects.map((o) => {
    const owner = Object.entries(o.owner)
      .filter(([k]) => k !== 'kind')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const who = `${o.owner.kind}${owner ? ` ${owner}` : ''}${o.live ? ', still running' : ''}`;
    const why = o.refusal ? ` — NOT taken: ${o.refusal}` : '';
    return `  ${o.kind} ${plain(o.name)} (${who})${why}\n`;
  });
  return `Adopting ${plan.install} takes over:\n${lines.join('')}`;
}

export async function adoptInstall(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      force: { type: 'string', multiple: true },
      yes: { type: 'boolean', short: 'y' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('name one install (see: foyer status)');
  const id = positionals[0]!;
  const force = values.force ?? [];
  const client = new DaemonClient();
  const query = force.length > 0 ? `?force=${encodeURIComponent(force.join(','))}` : '';
  const plan = await client.get<Adoption>(`/api/installs/${seg(id)}/adopt${query}`);
  (values.json ? err : out)(adoptionText(plan));
  if (plan.objects.some((o) => o.refusal))
    throw new FailedError(
      'not adopted: name each object above with --force NAME to take it anyway',
    );
  if (!values.yes) {
    if (!canAsk()) throw new FailedError('not adopted: run again with --yes to take these over');
    if (!(await confirm('Take these over, with their data?')))
      throw new FailedError(`not adopted: ${id} was left as it is`);
  }
  const send = () => client.json<JobAccepted>('POST', `/api/installs/${seg(id)}/adopt`, { force });
  return change(client, `Adopting ${id}`, send, values);
}
