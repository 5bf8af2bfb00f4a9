/**
 * The daemon's log: pino, written as JSON lines for machines (a pipe, a
 * journal, a file) and as short readable lines for a person at a terminal
 * (issue 11 §5). `FOYER_LOG_FORMAT=json|pretty` decides; by default a
 * terminal gets pretty lines and anything else JSON. The pretty lines are
 * our own small formatter over pino's JSON (pino-pretty is not needed for
 * one line per record).
 */
import pino, { type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** `FOYER_LOG_FORMAT` if it names a format, else pretty on a terminal and JSON elsewhere. */
export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): LogFormat {
  const asked = env.FOYER_LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTTY ? 'pretty' : 'json';
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every record has, shown in the line's head (time, level) or not at all. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * One pino JSON record as a line a person reads: `14:02:11 WARN  message key=value …`.
 * An error's stack follows on its own lines; a line that is not JSON passes unchanged.
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now());
  const clock = time.toTimeString().slice(0, 8);
  const level = (LEVELS[record.level as number] ?? String(record.level)).padEnd(5);
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: string; stack?: string };
      fields.push(`err=${fieldText(err.message ?? '')}`);
      if ((record.level as number) >= 50 && err.stack) stack = err.stack;
      continue;
    }
    fields.push(`${key}=${fieldText(value)}`);
  }
  const message = typeof record.msg === 'string' ? record.msg : '';
  const head = [clock, level, message, ...fields].filter((p) => p !== '').join(' ');
  const indented = stack ? `\n${stack.replace(/^/gm, '    ')}` : '';
  return `${head}${indented}\n`;
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyStream(out: { write(text: string): unknown }) {
  return { write: (line: string) => void out.write(prettyLine(line)) };
}

/** The daemon's logger, in the format the environment and stdout call for. */
export function createLogger(
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WriteStream = process.stdout,
): Logger {
  const options = { level: env.FOYER_LOG_LEVEL ?? 'info' };
  return logFormat(env, out.isTTY) === 'pretty' ? pino(options, prettyStream(out)) : pino(options);
}
