/**
 * Readers for raw YAML values. Each one either returns a well-typed value or
 * records a path-qualified problem and returns undefined, so a normaliser can
 * carry on and report every problem in one pass.
 *
 * Values may be strings where the spec wants numbers or booleans: after
 * interpolation `privileged: ${PRIV}` is the string "true", so scalars are
 * accepted in their string form too, as Compose does.
 */
import { type Diagnostics, joinPath } from './problems.js';

export type RawMap = Record<string, unknown>;

/** True for a plain YAML mapping (not null, not a list). */
export function isMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A mapping, or a problem "must be a mapping". */
export function readMap(value: unknown, path: string, diag: Diagnostics): RawMap | undefined {
  if (isMap(value)) return value;
  diag.error(path, `must be a mapping, got ${typeName(value)}`);
  return undefined;
}

/** A list, or a problem "must be a list". */
export function readList(value: unknown, path: string, diag: Diagnostics): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  diag.error(path, `must be a list, got ${typeName(value)}`);
  return undefined;
}

/** A string; numbers are accepted and turned into their decimal text. */
export function readString(value: unknown, path: string, diag: Diagnostics): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  diag.error(path, `must be a string, got ${typeName(value)}`);
  return undefined;
}

/** Any scalar as a string: booleans and numbers become "true", "42" (spec: environment, labels). */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A boolean, also from the strings "true"/"false" that interpolation produces. */
export function readBoolean(value: unknown, path: string, diag: Diagnostics): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  diag.error(path, `must be a boolean, got ${typeName(value)}`);
  return undefined;
}

/** An integer within bounds, also from its decimal string. */
export function readInteger(
  value: unknown,
  path: string,
  diag: Diagnostics,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const n = typeof value === 'string' && /^[-+]?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    diag.error(path, `must be an integer, got ${typeName(value)}`);
    return undefined;
  }
  if (
    (bounds.min !== undefined && n < bounds.min) ||
    (bounds.max !== undefined && n > bounds.max)
  ) {
    diag.error(path, `must be between ${bounds.min ?? '-∞'} and ${bounds.max ?? '∞'}, got ${n}`);
    return undefined;
  }
  return n;
}

/** A number (integer or decimal), also from its string form. */
export function readNumber(value: unknown, path: string, diag: Diagnostics): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  diag.error(path, `must be a number, got ${typeName(value)}`);
  return undefined;
}

/** A list of strings, or a single string taken as a one-item list. */
export function readStringList(value: unknown, path: string, diag: Diagnostics): string[] {
  if (typeof value === 'string') return [value];
  const list = readList(value, path, diag) ?? [];
  const out: string[] = [];
  list.forEach((item, i) => {
    const text = readString(item, joinPath(path, i), diag);
    if (text !== undefined) out.push(text);
  });
  return out;
}

/**
 * A map of strings given as a mapping or as a `KEY=VALUE` list (spec:
 * environment, labels). `resolveBare` decides what a key without a value
 * becomes: a string, or undefined to drop the key.
 */
export function readStringMap(
  value: unknown,
  path: string,
  diag: Diagnostics,
  resolveBare: (key: string) => string | undefined = () => '',
): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const text = scalarText(item);
      if (text === undefined) {
        diag.error(joinPath(path, i), `must be a "KEY=VALUE" string, got ${typeName(item)}`);
        return;
      }
      const eq = text.indexOf('=');
      const key = eq < 0 ? text : text.slice(0, eq);
      const resolved = eq < 0 ? resolveBare(key) : text.slice(eq + 1);
      if (resolved !== undefined) out[key] = resolved;
    });
    return out;
  }
  const map = readMap(value, path, diag);
  if (!map) return out;
  for (const [key, item] of Object.entries(map)) {
    if (item === null || item === undefined) {
      const resolved = resolveBare(key);
      if (resolved !== undefined) out[key] = resolved;
      continue;
    }
    const text = scalarText(item);
    if (text === undefined) diag.error(joinPath(path, key), `must be a string, number or boolean`);
    else out[key] = text;
  }
  return out;
}

/** Damerau-free edit distance, small inputs only (key suggestions). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = saved;
    }
  }
  return row[b.length]!;
}

/** The closest known key to a misspelt one (`network-mode` → `network_mode`), if close enough. */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.replaceAll('-', '_'), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Reports keys of `map` that are neither in `allowed` nor `x-` extensions.
 * Keys the spec defines but Foyer does not implement are "not supported";
 * anything else is unknown, with a suggestion when one is close.
 */
export function checkKeys(
  map: RawMap,
  path: string,
  diag: Diagnostics,
  allowed: ReadonlySet<string>,
  unsupported: ReadonlySet<string> = new Set(),
): void {
  for (const key of Object.keys(map)) {
    if (allowed.has(key) || key.startsWith('x-')) continue;
    const keyPath = joinPath(path, key);
    if (unsupported.has(key)) {
      diag.error(keyPath, 'not supported by Foyer');
      continue;
    }
    const hint = suggestKey(key, [...allowed, ...unsupported]);
    diag.error(keyPath, `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
}

/** The `x-` keys of a mapping, kept verbatim (spec: Extension). */
export function extensionsOf(map: RawMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) if (key.startsWith('x-')) out[key] = value;
  return out;
}
