/**
 * Reader for `.env` and `env_file` files (Compose Specification, services,
 * "Env_file format"). Each statement is `VAR[=[VAL]]`; values may be
 * unquoted, single-quoted (literal) or double-quoted (escapes, may span
 * lines). Unquoted and double-quoted values are interpolated, resolving
 * names from the keys already read in the same file, then from `lookup`.
 */
import { interpolateString, type Lookup } from './interpolate.js';
import type { Diagnostics } from './problems.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const EXPORT_PREFIX = /^export[ \t]+/;

/** Double-quoted escapes; `\$` becomes `$$` so interpolation keeps a literal `$`. */
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
  $: '$$',
};

/** Where a quoted value ends: the closing quote's offset, or -1 if it never closes. */
function closingQuote(content: string, open: number): number {
  const quote = content[open];
  for (let i = open + 1; i < content.length; i++) {
    const char = content[i];
    // Spec: "Quotes can be escaped with `\`" — in both kinds of quotes.
    if (char === '\\' && (quote === '"' || content[i + 1] === "'")) i++;
    else if (char === quote) return i;
  }
  return -1;
}

function unescapeDouble(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    const next = raw[i + 1];
    const replacement = char === '\\' && next !== undefined ? ESCAPES[next] : undefined;
    if (replacement === undefined) {
      out += char;
    } else {
      out += replacement;
      i++;
    }
  }
  return out;
}

/** Cuts an inline comment: spec, "Inline comments for unquoted values must be preceded with a space". */
function stripInlineComment(raw: string): string {
  for (let i = 1; i < raw.length; i++) {
    if (raw[i] === '#' && (raw[i - 1] === ' ' || raw[i - 1] === '\t')) return raw.slice(0, i);
  }
  return raw;
}

function lineEnd(content: string, from: number): number {
  const end = content.indexOf('\n', from);
  return end === -1 ? content.length : end;
}

class DotenvParser {
  readonly values = new Map<string, string>();
  private pos = 0;
  private line = 1;

  constructor(
    private readonly content: string,
    private readonly source: string,
    private readonly lookup: Lookup,
    private readonly diag: Diagnostics,
  ) {}

  /** Earlier keys of this file win over the caller's lookup. */
  private readonly resolve: Lookup = (name) => this.values.get(name) ?? this.lookup(name);

  parse(): void {
    while (this.pos < this.content.length) {
      this.pos = this.statement() + 1;
      this.line++;
    }
  }

  /** Reads the statement starting at `pos`; returns where its last line ends. */
  private statement(): number {
    const start = this.pos;
    const end = lineEnd(this.content, start);
    const text = this.content.slice(start, end).replace(/\r$/, '');
    const body = text.trimStart();
    if (body === '' || body.startsWith('#')) return end;

    const where = `${this.source}:${this.line}`;
    // A key cannot hold `=`, so the first `=` on the line is the separator.
    const eq = text.indexOf('=');
    const key = (eq === -1 ? text : text.slice(0, eq))
      .trimStart()
      .replace(EXPORT_PREFIX, '')
      .trim();
    if (!KEY.test(key)) {
      this.diag.error(where, `invalid variable name ${JSON.stringify(key)}`);
      return end;
    }
    if (eq === -1) {
      // Spec: "`=VAL` may be omitted, in such cases the variable is unset" here,
      // so it takes the caller's value, if there is one.
      const inherited = this.lookup(key);
      if (inherited !== undefined) this.values.set(key, inherited);
      return end;
    }

    const raw = text.slice(eq + 1);
    const valueAt = start + eq + 1 + (raw.length - raw.trimStart().length);
    const first = this.content[valueAt];
    if (first === '"' || first === "'") return this.quoted(key, valueAt, where);

    const value = stripInlineComment(raw).trim();
    this.values.set(key, interpolateString(value, this.resolve, where, this.diag));
    return end;
  }

  /** A quoted value opening at `open`, possibly over several lines; returns where its last line ends. */
  private quoted(key: string, open: number, where: string): number {
    const close = closingQuote(this.content, open);
    if (close === -1) {
      this.diag.error(where, 'unterminated quoted value');
      // Carry on from the next line so later problems are reported too.
      return lineEnd(this.content, open);
    }
    this.line += countNewlines(this.content, open, close);
    const end = lineEnd(this.content, close);
    // Spec: "Inline comments for quoted values must follow the closing quote".
    const after = this.content.slice(close + 1, end).trim();
    if (after !== '' && !after.startsWith('#')) {
      this.diag.error(where, `unexpected text after the closing quote: ${JSON.stringify(after)}`);
    }
    // A file written with CRLF line endings must not leave `\r` in a multi-line value.
    const inner = this.content.slice(open + 1, close).replace(/\r\n/g, '\n');
    const value =
      this.content[open] === "'"
        ? inner.replace(/\\'/g, "'")
        : interpolateString(unescapeDouble(inner), this.resolve, where, this.diag);
    this.values.set(key, value);
    return end;
  }
}

function countNewlines(content: string, from: number, to: number): number {
  let count = 0;
  for (let i = content.indexOf('\n', from); i !== -1 && i < to; i = content.indexOf('\n', i + 1)) {
    count++;
  }
  return count;
}

/**
 * Parses an env file's content into its variables. Problems are reported at
 * `<source>:<line>`; a bad line is skipped and the rest still read.
 */
export function parseDotenv(
  content: string,
  source: string,
  lookup: Lookup,
  diag: Diagnostics,
): Record<string, string> {
  // Editors on Windows may prepend a byte order mark; it is not part of the first key.
  const text = content.startsWith('\uFEFF') ? content.slice(1) : content;
  const parser = new DotenvParser(text, source, lookup, diag);
  parser.parse();
  // fromEntries makes own properties, so a `__proto__` key cannot reach the prototype.
  return Object.fromEntries(parser.values);
}
