/**
 * `foyer logs <install> [--follow] [--tail N] [--timestamps] [--service S] [--json]`:
 * the daemon's `service | line` text, copied to stdout as it arrives, until
 * the daemon ends it or Ctrl-C. `--json` writes one JSON object a line.
 */
import { parseArgs } from 'node:util';
import { seg } from './api.js';
import { DaemonClient, UnreachableError } from './client.js';
import { EXIT, UsageError } from './output.js';

/** The daemon's limit for `tail`. */
const MAX_TAIL = 10_000;

export async function logs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      follow: { type: 'boolean', short: 'f' },
      tail: { type: 'string', short: 'n' },
      timestamps: { type: 'boolean', short: 't' },
      service: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError('missing the install (see: foyer status)');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const query = new URLSearchParams();
  if (values.tail !== undefined) query.set('tail', String(parseTail(values.tail)));
  if (values.follow) query.set('follow', 'true');
  if (values.timestamps) query.set('timestamps', 'true');
  if (values.service) query.set('service', values.service);
  const path = `/api/installs/${seg(positionals[0]!)}/logs${query.size > 0 ? `?${query}` : ''}`;

  const abort = new AbortController();
  const res = await new DaemonClient().stream(path, 'text/plain', abort.signal);
  // Ctrl-C and a closed pipe (`| head`) are the usual ways a follow ends: both are success.
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.stdout.on('error', stop);
  res.on('error', () => {});
  res.setEncoding('utf8');
  let rest = '';
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      let text = chunk;
      if (values.json) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        text = lines.map(jsonLine).join('');
      }
      // Wait for a slow reader instead of buffering a followed log in memory.
      if (!process.stdout.write(text)) await drained(abort.signal);
    }
    if (values.json && rest) process.stdout.write(jsonLine(rest));
  } catch (error) {
    if (!abort.signal.aborted) {
      throw new UnreachableError(`lost the connection to the daemon (${(error as Error).message})`);
    }
  } finally {
    process.off('SIGINT', stop);
    process.stdout.off('error', stop);
  }
  return EXIT.ok;
}

/** Resolves when stdout takes more, or when the command is stopped. */
function drained(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    process.stdout.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function parseTail(value: string): number {
  if (value === 'all') return MAX_TAIL;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--tail takes a number of lines or "all", not "${value}"`);
  return Math.min(Number(value), MAX_TAIL);
}

/** `web | line` → `{"service":"web","line":"line"}` and a newline. */
function jsonLine(text: string): string {
  const bar = text.indexOf(' | ');
  const entry =
    bar === -1
      ? { service: '', line: text }
      : { service: text.slice(0, bar).trim(), line: text.slice(bar + 3) };
  return `${JSON.stringify(entry)}\n`;
}
