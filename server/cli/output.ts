/**
 * What the CLI writes: aligned tables and JSON on stdout, errors on stderr
 * (the daemon's `code: message`, then each problem as `path: message`), and
 * the exit codes scripts rely on: 0 ok, 1 the operation failed, 2 usage
 * error, 3 the daemon cannot be reached.
 */
import { ApiError, UnreachableError } from './client.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** A mistake in the command line; the verb's usage follows the message. */
export class UsageError extends Error {}

/** The operation was refused or failed on this side (a declined prompt, a failed job). */
export class FailedError extends Error {}

/** Drops control characters (terminal escapes) from text the daemon or a container chose. */
export function plain(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** A table with a header row. */
export function table(header: string[], rows: string[][]): string {
  return columns([header, ...rows]);
}

/** Rows in columns padded to their widest cell; the last column is not padded. */
export function columns(rows: string[][]): string {
  const all = rows.map((row) => row.map((cell) => plain(cell)));
  const count = Math.max(0, ...all.map((row) => row.length));
  const widths = Array.from({ length: count }, (_, i) =>
    Math.max(...all.map((row) => (row[i] ?? '').length)),
  );
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Pretty JSON and a newline, for `--json`. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function out(text: string): void {
  process.stdout.write(text);
}

export function err(text: string): void {
  process.stderr.write(text);
}

/** Writes an error the way people and scripts read it and returns its exit code. */
export function reportError(error: unknown, usage?: string): number {
  if (error instanceof ApiError) {
    const problems = error.problems.map((p) => `${plain(p.path)}: ${plain(p.message)}`);
    // The daemon's message is often its problems joined by "; ": say them once, a line each.
    const repeats = problems.length > 0 && plain(error.message) === problems.join('; ');
    const message = repeats ? 'the daemon refused the request:' : plain(error.message);
    err(`foyer: ${plain(error.code)}: ${message}\n`);
    for (const problem of problems) err(`${problem}\n`);
    return EXIT.failed;
  }
  if (error instanceof UnreachableError) {
    err(`foyer: ${error.message}\n`);
    return EXIT.unreachable;
  }
  if (error instanceof UsageError || isParseArgsError(error)) {
    err(`foyer: ${(error as Error).message}\n`);
    if (usage) err(`\n${usage}`);
    return EXIT.usage;
  }
  if (error instanceof FailedError) {
    err(`foyer: ${plain(error.message)}\n`);
    return EXIT.failed;
  }
  err(`foyer: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failed;
}

/** node:util parseArgs reports unknown options and missing values with these codes. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
