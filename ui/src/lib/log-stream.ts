/**
 * An install's logs as lines: `GET /api/installs/:id/logs` answers plain text
 * (`<service> | <line>`), and with `follow` keeps the answer open and writes
 * each new line as the containers print it. Logs are not on the event stream
 * (server/routes/logs.ts), so this is the one other long-lived request a
 * screen holds; the caller aborts it when the screen goes away.
 */
import { ApiError, apiUrl, seg } from './api.ts';

export interface LogLine {
  /** Position since the viewer started, a stable key for lists. */
  n: number;
  service: string;
  text: string;
}

export interface LogStreamOptions {
  tail: number;
  follow: boolean;
  signal: AbortSignal;
  /** Called with each batch of complete lines, in order. */
  onLines: (lines: LogLine[]) => void;
}

let counter = 0;

/** Splits `web | hello` into its service and text (the daemon pads service names). */
export function parseLogLine(raw: string): LogLine {
  const bar = raw.indexOf(' | ');
  counter += 1;
  if (bar < 0) return { n: counter, service: '', text: raw };
  return { n: counter, service: raw.slice(0, bar).trim(), text: raw.slice(bar + 3) };
}

/**
 * Reads the logs until the daemon ends the answer (not following, or every
 * container stopped) or `signal` aborts; resolves then. Throws ApiError when
 * the daemon refuses (the install is gone), and an AbortError on abort.
 */
export async function readLogs(installId: string, options: LogStreamOptions): Promise<void> {
  const url = apiUrl(`/installs/${seg(installId)}/logs`, {
    tail: options.tail,
    follow: options.follow || undefined,
  });
  const response = await fetch(url, { credentials: 'same-origin', signal: options.signal });
  if (!response.ok || !response.body) {
    const reply = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(
      reply.code ?? `HTTP_${response.status}`,
      response.status,
      reply.message ?? response.statusText,
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let partial = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parts = (partial + value).split('\n');
    partial = parts.pop() ?? '';
    if (parts.length > 0) options.onLines(parts.map(parseLogLine));
  }
  if (partial) options.onLines([parseLogLine(partial)]);
}

/** The lines whose service or text contains `query`, ignoring case. */
export function filterLines(lines: LogLine[], query: string): LogLine[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return lines;
  return lines.filter(
    (l) => l.text.toLowerCase().includes(needle) || l.service.toLowerCase().includes(needle),
  );
}
