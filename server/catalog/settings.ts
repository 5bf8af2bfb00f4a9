/**
 * An install's settings, checked on the server against the typed fields of
 * the app's `app.yaml`: required, defaults, pattern, bounds, choices, and the
 * shape of emails and domains. Generated secrets are made once per install
 * and kept apart; a person can never set or read them. Every problem names
 * its path (`settings.PORT: must be at most 65535`).
 */
import { randomBytes } from 'node:crypto';
import type { Problem } from '../../compose/index.js';
import type { AppManifest, Setting } from './manifest.js';

export interface ResolvedSettings {
  settings: Record<string, string>;
  secrets: Record<string, string>;
  problems: Problem[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// RFC 1123 labels; at least two of them, the last one not all digits.
const DOMAIN = /^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!\d+$)[a-z0-9-]{2,63}$/i;
/**
 * Passwords people pick first. A password that is one of them once digits and
 * symbols are taken off (`Password123!`) is refused, whatever its length.
 */
const COMMON_PASSWORDS = new Set([
  'password',
  'passwort',
  'motdepasse',
  'passw',
  'qwerty',
  'qwertyuiop',
  'azerty',
  'azertyuiop',
  'asdfgh',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'root',
  'changeme',
  'secret',
  'iloveyou',
  'monkey',
  'dragon',
  'sunshine',
  'football',
  'default',
  'foyer',
]);

/**
 * Characters a single-line setting refuses (issue 11 §4): every C0 control but tab, DEL, every
 * C1 control (U+0085 "next line" among them) and the Unicode line and paragraph separators.
 * Settings end up in env files, config lines and shell words, where any of these can end a line
 * or act on a terminal. Tab is kept: it ends no line, and passwords may hold one.
 */
const NOT_SINGLE_LINE = /[\0-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;
const CHARACTER_NAMES: Record<string, string> = {
  '\n': 'line feed',
  '\v': 'line tabulation',
  '\f': 'form feed',
  '\r': 'carriage return',
  '\x1b': 'escape',
  '\x7f': 'delete',
  '\x85': 'next line',
  '\u2028': 'line separator',
  '\u2029': 'paragraph separator',
};

/** Why `value` is not a single line of text (the character refused, by code point), or undefined. */
export function notSingleLine(value: string): string | undefined {
  const found = NOT_SINGLE_LINE.exec(value)?.[0];
  if (found === undefined) return undefined;
  const name = CHARACTER_NAMES[found];
  const point = `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `must be a single line: ${name ? `${point} (${name})` : point} is not allowed`;
}

const UP = '0123456789'.repeat(8);
const DOWN = [...UP].reverse().join('');

/** Why a password a person chose is too easy to guess, or undefined when it is not. */
export function weakPassword(value: string): string | undefined {
  if (new Set(value).size < 5) return 'is too easy to guess: use more different characters';
  const letters = value.toLowerCase().replace(/[^a-z]/g, '');
  const common = 'is too easy to guess: avoid common words and number sequences';
  if (COMMON_PASSWORDS.has(letters)) return common;
  // Digits counting up or down (`123456789012`, `987654321098`).
  if (/^\d+$/.test(value) && (UP.includes(value) || DOWN.includes(value))) return common;
  return undefined;
}

const SECRET_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random secret from an unambiguous alphabet (no 0/O, 1/l/I). */
export function generateSecret(length = 32): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (const byte of bytes) {
    // Rejection sampling keeps every character equally likely.
    if (byte < 256 - (256 % SECRET_ALPHABET.length))
      out += SECRET_ALPHABET[byte % SECRET_ALPHABET.length];
    if (out.length === length) return out;
  }
  return out + generateSecret(length - out.length);
}

function checkValue(
  setting: Setting,
  raw: unknown,
  path: string,
  problems: Problem[],
): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    problems.push({ path, message: 'must be a string, number or boolean' });
    return undefined;
  }
  const value = String(raw);
  const fail = (message: string) => {
    problems.push({ path, message });
    return undefined;
  };
  // First, whatever the type: the character is a clearer answer than "must be an email address".
  const multiline = notSingleLine(value);
  if (multiline) return fail(multiline);
  switch (setting.type) {
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) return fail('must be a number');
      if (setting.min !== undefined && n < setting.min)
        return fail(`must be at least ${setting.min}`);
      if (setting.max !== undefined && n > setting.max)
        return fail(`must be at most ${setting.max}`);
      return value.trim();
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') return fail('must be true or false');
      return value;
    case 'choice':
      if (!setting.choices?.includes(value))
        return fail(`must be one of ${setting.choices?.join(', ')}`);
      return value;
    case 'email':
      if (!EMAIL.test(value)) return fail('must be an email address');
      break;
    case 'domain':
      if (!DOMAIN.test(value)) return fail('must be a domain name such as example.org');
      break;
    default:
      if (setting.min !== undefined && value.length < setting.min) {
        return fail(`must be at least ${setting.min} characters long`);
      }
      if (setting.max !== undefined && value.length > setting.max) {
        return fail(`must be at most ${setting.max} characters long`);
      }
  }
  if (setting.type === 'password') {
    const weak = weakPassword(value);
    if (weak) return fail(weak);
  }
  if (setting.pattern && !new RegExp(`^(?:${setting.pattern})$`).test(value)) {
    return fail(`does not match the pattern ${setting.pattern}`);
  }
  return value;
}

/**
 * Checks `input` against the app's settings and fills defaults; `previous`
 * holds the install's current values when it is reconfigured (its secrets
 * are kept, never made again).
 */
export function resolveSettings(
  manifest: AppManifest,
  input: Record<string, unknown>,
  previous?: { settings: Record<string, string>; secrets: Record<string, string> },
): ResolvedSettings {
  const problems: Problem[] = [];
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const declared = manifest.settings ?? [];
  const known = new Set(declared.map((s) => s.key));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      problems.push({ path: `settings.${key}`, message: 'is not a setting of this app' });
  }
  for (const setting of declared) {
    const path = `settings.${setting.key}`;
    if (setting.secret?.generate) {
      if (input[setting.key] !== undefined)
        problems.push({ path, message: 'is generated by Foyer and cannot be set' });
      secrets[setting.key] =
        previous?.secrets[setting.key] ?? generateSecret(setting.secret.length ?? 32);
      continue;
    }
    const raw = input[setting.key] ?? previous?.settings[setting.key] ?? setting.default;
    if (raw === undefined || raw === '') {
      if (setting.required) problems.push({ path, message: 'is required' });
      continue;
    }
    const value = checkValue(setting, raw, path, problems);
    if (value !== undefined) settings[setting.key] = value;
  }
  return { settings, secrets, problems };
}
