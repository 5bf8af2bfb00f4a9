/**
 * Durations and byte sizes as the Compose spec writes them ("Specifying
 * durations", "Specifying byte values"). Durations follow Go's
 * `time.ParseDuration`, which the reference implementation uses, so anything
 * `docker compose` accepts is accepted here; results are nanoseconds because the
 * Docker Engine API takes healthcheck intervals in nanoseconds.
 */

const NANOSECONDS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign, as Go accepts and prints it
  μs: 1e3, // U+03BC Greek small letter mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go refuses durations beyond int64 nanoseconds (about 292 years). */
const MAX_NANOSECONDS = 2 ** 63;

/** One `{value}{unit}` group: digits with an optional fraction, then letters up to the next digit. */
const DURATION_PART = /(\d*)(?:\.(\d*))?([^\d.]*)/y;

/** Parses a Go-style duration (`1m30s`, `500ms`, `1.5h`, `0`) into nanoseconds; throws if invalid. */
export function parseDuration(input: string | number): number {
  const text = String(input);
  const fail = (reason: string) => new Error(`invalid duration ${JSON.stringify(text)}: ${reason}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go accepts a bare zero (signed or not) without a unit, and nothing else unit-less.
  if (rest === '0') return 0;
  if (rest === '') throw fail('expected a number followed by a unit (ns, us, ms, s, m, h)');
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const match = DURATION_PART.exec(rest);
    const [, whole = '', fraction, unit = ''] = match ?? [];
    if (!match || (whole === '' && !fraction)) throw fail('expected a number before each unit');
    if (unit === '') throw fail('missing unit (ns, us, ms, s, m, h)');
    const scale = NANOSECONDS[unit];
    if (scale === undefined) throw fail(`unknown unit ${JSON.stringify(unit)}`);
    total += partNanoseconds(whole, fraction ?? '', scale);
  }
  if (total >= MAX_NANOSECONDS) throw fail('out of range');
  // `-0s` is zero, not JavaScript's negative zero.
  return total === 0 ? 0 : sign * total;
}

/** `whole.fraction` × unit, truncated to whole nanoseconds like Go does. */
function partNanoseconds(whole: string, fraction: string, scale: number): number {
  const integral = whole === '' ? 0 : Number(whole) * scale;
  // Digits past the 15th cannot change a float64 result; Go also stops accumulating there.
  const digits = fraction.slice(0, 15);
  if (digits === '') return integral;
  return integral + Math.trunc(Number(digits) * (scale / 10 ** digits.length));
}

/** Formats nanoseconds the way Go's `time.Duration.String()` does: `1m30s`, `500ms`, `0s`, `1h0m0s`. */
export function formatDuration(ns: number): string {
  const value = Math.trunc(ns);
  if (value === 0) return '0s';
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${fixed(abs, 3)}µs`;
  if (abs < 1e9) return `${sign}${fixed(abs, 6)}ms`;
  const hours = Math.floor(abs / 3600e9);
  const minutes = Math.floor((abs % 3600e9) / 60e9);
  const seconds = fixed(abs % 60e9, 9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / 10^digits` in decimal, trailing zeros (and a bare point) dropped: Go's `fmtFrac`. */
function fixed(value: number, digits: number): string {
  const unit = 10 ** digits;
  const whole = Math.floor(value / unit);
  const fraction = String(value % unit)
    .padStart(digits, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Multipliers of "Specifying byte values"; Docker counts a kilobyte as 1024 bytes. */
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4, // accepted by Docker's parser too, though the spec lists only up to g
  p: 1024 ** 5,
};

/** `{amount}{unit}`: the units of the spec, plus what Docker also takes (`1.5g`, `512 MiB`). */
const BYTE_VALUE = /^(\d+(?:\.\d+)?) ?(?:([kmgtp])i?b?|b)?$/i;

/** Parses a byte value (`2b`, `1024kb`, `300m`, `1gb`, or a bare number of bytes); throws if invalid. */
export function parseBytes(input: string | number): number {
  if (typeof input === 'number') {
    // Bare YAML integers are bytes; -1 is meaningful (`memswap_limit: -1` means unlimited).
    if (Number.isSafeInteger(input)) return input;
    throw new Error(`invalid byte value ${input}: expected a whole number of bytes`);
  }
  const match = BYTE_VALUE.exec(input);
  if (!match) {
    throw new Error(
      `invalid byte value ${JSON.stringify(input)}: expected {amount}{unit} with unit b, k, kb, m, mb, g or gb`,
    );
  }
  const multiplier = BYTE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.trunc(Number(match[1]) * multiplier);
}
