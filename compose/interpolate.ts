/**
 * Variable interpolation (Compose Specification, "Interpolation"): `$VAR`,
 * `${VAR}`, the default / required / alternative forms and their nesting.
 *
 * A hand-written scanner makes one pass over each string. It carries a `live`
 * flag: in a branch that is not taken (the default of a set variable, the
 * message of a satisfied `?`) it still checks the syntax but looks nothing up
 * and reports nothing, so `${A:-${B:?}}` raises no error while A is set.
 */
import { type Diagnostics, joinPath } from './problems.js';

/** Resolves a variable name to its value, or undefined when it is unset. */
export type Lookup = (name: string) => string | undefined;

const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const HYPHEN = 0x2d;
const QUESTION = 0x3f;
const PLUS = 0x2b;

/** Raised inside the scanner when the template itself is malformed. */
class InvalidTemplate extends Error {}

/** A problem found while evaluating; reported only if the whole template is valid. */
interface Pending {
  kind: 'error' | 'warn';
  message: string;
}

function isNameStart(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 0x30 && code <= 0x39);
}

/** The operators allowed after a braced name; the colon forms treat empty as unset. */
function isOperator(code: number): boolean {
  return code === HYPHEN || code === QUESTION || code === PLUS;
}

/** Deeper nesting than any real file needs; the limit keeps recursion off the stack's edge. */
const MAX_NESTING = 64;

class Scanner {
  pos = 0;
  private nesting = 0;
  readonly pending: Pending[] = [];

  constructor(
    private readonly src: string,
    private readonly lookup: Lookup,
  ) {}

  /**
   * Reads text up to the end of the string or, inside an argument, up to the
   * `}` that closes the enclosing `${`. Bare `{`…`}` pairs inside an argument
   * nest, as compose-go counts them (bash does not), so `${A:-{x}y}` defaults
   * to `{x}y`.
   */
  sequence(inArgument: boolean, live: boolean): string {
    const { src } = this;
    let out = '';
    let textStart = this.pos;
    let depth = 0;
    while (this.pos < src.length) {
      if (!inArgument) {
        // Outside an argument only `$` matters, so jump straight to the next one.
        const next = src.indexOf('$', this.pos);
        if (next === -1) break;
        this.pos = next;
      }
      const code = src.charCodeAt(this.pos);
      if (code === DOLLAR) {
        out += src.slice(textStart, this.pos) + this.dollar(live);
        textStart = this.pos;
        continue;
      }
      if (inArgument && code === OPEN_BRACE) depth++;
      if (inArgument && code === CLOSE_BRACE) {
        if (depth === 0) return out + src.slice(textStart, this.pos);
        depth--;
      }
      this.pos++;
    }
    if (inArgument) throw new InvalidTemplate('missing closing "}"');
    return out + src.slice(textStart);
  }

  /** Handles the `$` at `pos`: `$$`, `$NAME`, `${…}` or a lone `$` kept as is. */
  private dollar(live: boolean): string {
    const next = this.src.charCodeAt(this.pos + 1);
    if (next === DOLLAR) {
      // Spec: "`$$` (double-dollar sign) when your configuration needs a literal dollar sign".
      this.pos += 2;
      return '$';
    }
    if (next === OPEN_BRACE) return this.braced(live);
    if (isNameStart(next)) {
      this.pos++;
      const name = this.name();
      return live ? this.plain(name) : '';
    }
    // Spec: in other circumstances the `$` "will be preserved without attempt to interpolate".
    this.pos++;
    return '$';
  }

  private name(): string {
    const start = this.pos;
    while (isNameChar(this.src.charCodeAt(this.pos))) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** `${NAME}` or `${NAME<op><argument>}`, with `pos` on the `$`. */
  private braced(live: boolean): string {
    this.pos += 2;
    if (this.pos >= this.src.length) throw new InvalidTemplate('missing closing "}"');
    if (!isNameStart(this.src.charCodeAt(this.pos))) {
      throw new InvalidTemplate('expected a variable name after "${"');
    }
    const name = this.name();
    const code = this.src.charCodeAt(this.pos);
    if (code === CLOSE_BRACE) {
      this.pos++;
      return live ? this.plain(name) : '';
    }
    if (Number.isNaN(code)) throw new InvalidTemplate('missing closing "}"');
    const colon = code === COLON;
    const op = this.src.charCodeAt(this.pos + (colon ? 1 : 0));
    if (!isOperator(op)) {
      throw new InvalidTemplate(`unexpected character after "\${${name}"`);
    }
    this.pos += colon ? 2 : 1;
    if (++this.nesting > MAX_NESTING) throw new InvalidTemplate('nested too deeply');
    const result = this.operator(name, op, colon, live);
    this.nesting--;
    this.pos++; // the closing brace, guaranteed by sequence()
    return result;
  }

  /** Applies `-` (default), `?` (required) or `+` (alternative) to NAME. */
  private operator(name: string, op: number, colon: boolean, live: boolean): string {
    const value = live ? this.lookup(name) : undefined;
    const absent = value === undefined || (colon && value === '');
    if (op === HYPHEN) {
      const fallback = this.sequence(true, live && absent);
      return absent ? fallback : (value ?? '');
    }
    if (op === PLUS) {
      const alternative = this.sequence(true, live && !absent);
      return absent ? '' : alternative;
    }
    const message = this.sequence(true, live && absent);
    if (live && absent) {
      const detail = message === '' ? '' : `: ${message}`;
      this.pending.push({
        kind: 'error',
        message: `required variable ${name} is missing a value${detail}`,
      });
    }
    return value ?? '';
  }

  /** A variable with no operator: an unset one becomes blank, with a warning. */
  private plain(name: string): string {
    const value = this.lookup(name);
    if (value !== undefined) return value;
    // Spec: "it displays a warning and substitutes the variable with an empty string".
    this.pending.push({
      kind: 'warn',
      message: `variable "${name}" is not set, defaulting to a blank string`,
    });
    return '';
  }
}

/**
 * Interpolates one string. A malformed template is reported as one error and
 * returned unchanged; other problems are reported with `path`.
 */
export function interpolateString(
  template: string,
  lookup: Lookup,
  path: string,
  diag: Diagnostics,
): string {
  if (!template.includes('$')) return template;
  const scanner = new Scanner(template, lookup);
  let result: string;
  try {
    result = scanner.sequence(false, true);
  } catch (error) {
    if (!(error instanceof InvalidTemplate)) throw error;
    diag.error(
      path,
      `invalid interpolation format for ${JSON.stringify(template)}: ${error.message}` +
        ' (write "$$" for a literal "$")',
    );
    return template;
  }
  for (const problem of scanner.pending) {
    if (problem.kind === 'error') diag.error(path, problem.message);
    else diag.warn(path, problem.message);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies a parsed YAML tree with every string value interpolated. Keys are
 * left alone: spec, "Interpolation applies only to YAML values, not to keys".
 */
export function interpolateTree(
  value: unknown,
  lookup: Lookup,
  path: string,
  diag: Diagnostics,
): unknown {
  if (typeof value === 'string') return interpolateString(value, lookup, path, diag);
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateTree(item, lookup, joinPath(path, index), diag));
  }
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = interpolateTree(value[key], lookup, joinPath(path, key), diag);
      // Plain assignment of `__proto__` would replace the prototype instead of adding a key.
      if (key === '__proto__') {
        Object.defineProperty(copy, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        copy[key] = item;
      }
    }
    return copy;
  }
  return value;
}
