/**
 * `foyer domain …` (issue 13; the names are interfaces held-out checks use):
 * `domain set <domain> [--acme <directory-url>] [--acme-root <pem-file>] [--email <address>]`
 * (public), `domain set <domain> --internal` (home), `domain status [--json]`, `domain ca`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DaemonClient } from './client.js';
import { EXIT, json, out, plain, table, UsageError } from './output.js';

interface NameStatus {
  name: string;
  target: string;
  issuer: string;
  expires: string | null;
  error: string | null;
}

interface DomainStatus {
  mode: 'public' | 'internal' | null;
  domain: string | null;
  email: string | null;
  acme: string | null;
  ports: { http: number; https: number };
  edge: { state: string; error?: string; lastPushAt?: string; lastPushMs?: number };
  names: NameStatus[];
  /** Names with no route that apps want as files (absent from a daemon before them). */
  certificates?: NameStatus[];
}

function show(status: DomainStatus): string {
  if (!status.domain) return 'No domain is set: apps are reached at http://<this box>:<port>/.\n';
  const mode =
    status.mode === 'internal'
      ? "home (the box's own CA: foyer domain ca prints its root for your devices)"
      : `public (ACME: ${status.acme}${status.email ? `, ${status.email}` : ''})`;
  const lines = [
    `Domain: ${status.domain}`,
    `Mode:   ${mode}`,
    `Ports:  HTTP ${status.ports.http}, HTTPS ${status.ports.https}`,
    `Edge:   ${status.edge.state}${status.edge.error ? ` — ${status.edge.error}` : ''}`,
    '',
  ];
  const row = (shown: string, n: NameStatus) => [
    shown,
    n.target,
    n.issuer,
    n.expires ?? '-',
    n.error ?? '',
  ];
  const rows = [
    ...status.names.map((n) => row(`https://${n.name}/`, n)),
    // Names with no route, obtained for mail and chat: listed so their failures are seen.
    ...(status.certificates ?? []).map((n) => row(n.name, n)),
  ];
  return `${lines.join('\n')}\n${table(['NAME', 'SERVES', 'ISSUER', 'EXPIRES', 'ERROR'], rows)}`;
}

/** `foyer domain set|status|ca`. */
export async function domain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      internal: { type: 'boolean' },
      acme: { type: 'string' },
      'acme-root': { type: 'string' },
      email: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [sub, ...rest] = positionals;
  const client = new DaemonClient();
  switch (sub) {
    case 'set': {
      if (rest.length !== 1) throw new UsageError('foyer domain set takes one domain');
      let acmeRoot: string | undefined;
      if (values['acme-root'] !== undefined) {
        try {
          acmeRoot = readFileSync(values['acme-root'], 'utf8');
        } catch (error) {
          throw new UsageError(
            `--acme-root: cannot read ${values['acme-root']}: ${(error as Error).message}`,
          );
        }
      }
      const body = {
        domain: rest[0],
        mode: values.internal ? 'internal' : 'public',
        ...(values.email !== undefined ? { email: values.email } : {}),
        ...(values.acme !== undefined ? { acme: values.acme } : {}),
        ...(acmeRoot !== undefined ? { acmeRoot } : {}),
      };
      const status = await client.json<DomainStatus>('PUT', '/api/domain', body);
      out(values.json ? json(status) : show(status));
      return EXIT.ok;
    }
    case 'status': {
      if (rest.length > 0) throw new UsageError('foyer domain status takes no argument');
      const status = await client.get<DomainStatus>('/api/domain');
      out(values.json ? json(status) : show(status));
      return EXIT.ok;
    }
    case 'ca': {
      if (rest.length > 0) throw new UsageError('foyer domain ca takes no argument');
      const res = await client.stream('/api/domain/ca', 'application/x-pem-file');
      let pem = '';
      for await (const chunk of res) pem += chunk;
      out(pem.endsWith('\n') ? pem : `${pem}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown "domain ${plain(sub ?? '')}"; use set, status or ca`);
  }
}
