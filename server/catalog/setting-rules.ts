/**
 * The rules of an app's settings (issue 12 §6), in the one module that both the
 * daemon (server/catalog/settings.ts) and the web UI (ui/src/lib/validate.ts)
 * run, so the two can never disagree about a value. A check answers a problem
 * code with its parameters: the daemon words it in English with
 * `settingProblemText` (the API's words, which clients and tests rely on), the
 * UI in the person's language from its message catalogues.
 *
 * Pure and without imports: the UI's build bundles this file as it is, so it
 * must never reach for Node (secrets are generated in settings.ts, not here).
 */

/** The form field types a setting can have (`app.yaml` `settings[].type`). */
export const SETTING_TYPES = [
  'string',
  'password',
  'number',
  'boolean',
  'choice',
  'email',
  'domain',
] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

/** What the rules read of a setting: both the manifest's `Setting` and the UI's fit it. */
export interface SettingRules {
  type: SettingType;
  required?: boolean;
  pattern?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Why a value is refused: a stable code and what its message needs. */
export type SettingProblem =
  | { code: 'required' }
  | { code: 'not-scalar' }
  | { code: 'single-line'; character: string; name?: string }
  | { code: 'number' }
  | { code: 'min'; min: number }
  | { code: 'max'; max: number }
  | { code: 'boolean' }
  | { code: 'choice'; choices: readonly string[] }
  | { code: 'email' }
  | { code: 'domain' }
  | { code: 'min-length'; min: number }
  | { code: 'max-length'; max: number }
  | { code: 'weak-password'; reason: 'few-characters' | 'common' }
  | { code: 'pattern'; pattern: string };
export type SettingProblemCode = SettingProblem['code'];

/**
 * A setting's verdict: a problem, or the value to store (a number trimmed), or
 * neither when an optional setting is left empty.
 */
export type SettingVerdict =
  | { problem: SettingProblem; value?: undefined }
  | { problem?: undefined; value: string | undefined };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// RFC 1123 labels; at least two of them, the last one not all digits.
const DOMAIN = /^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!\d+$)[a-z0-9-]{2,63}$/i;

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

/** The first character that keeps `value` from being a single line of text, or undefined. */
export function notSingleLine(value: string): SettingProblem | undefined {
  const found = NOT_SINGLE_LINE.exec(value)?.[0];
  if (found === undefined) return undefined;
  const character = `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[found];
  return name ? { code: 'single-line', character, name } : { code: 'single-line', character };
}

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
const UP = '0123456789'.repeat(8);
const DOWN = [...UP].reverse().join('');

/** Why a password a person chose is too easy to guess, or undefined when it is not. */
export function weakPassword(value: string): SettingProblem | undefined {
  if (new Set(value).size < 5) return { code: 'weak-password', reason: 'few-characters' };
  const letters = value.toLowerCase().replace(/[^a-z]/g, '');
  if (COMMON_PASSWORDS.has(letters)) return { code: 'weak-password', reason: 'common' };
  // Digits counting up or down (`123456789012`, `987654321098`).
  if (/^\d+$/.test(value) && (UP.includes(value) || DOWN.includes(value))) {
    return { code: 'weak-password', reason: 'common' };
  }
  return undefined;
}

/**
 * Whether the whole value matches the setting's pattern. The pattern is read
 * with the `u` flag, as `foyer catalog lint` reads it; one that cannot be read
 * matches nothing (a loaded catalogue never has one: the lint refuses it).
 */
function matchesPattern(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u').test(value);
  } catch {
    return false;
  }
}

/** The checks of one type, on a value known to be a single line; the value to store, or a problem. */
function checkType(setting: SettingRules, value: string): SettingVerdict {
  const refuse = (problem: SettingProblem): SettingVerdict => ({ problem });
  switch (setting.type) {
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) return refuse({ code: 'number' });
      if (setting.min !== undefined && n < setting.min)
        return refuse({ code: 'min', min: setting.min });
      if (setting.max !== undefined && n > setting.max)
        return refuse({ code: 'max', max: setting.max });
      return { value: value.trim() };
    }
    case 'boolean':
      return value === 'true' || value === 'false' ? { value } : refuse({ code: 'boolean' });
    case 'choice':
      return setting.choices?.includes(value)
        ? { value }
        : refuse({ code: 'choice', choices: setting.choices ?? [] });
    case 'email':
      if (!EMAIL.test(value)) return refuse({ code: 'email' });
      break;
    case 'domain':
      if (!DOMAIN.test(value)) return refuse({ code: 'domain' });
      break;
    default:
      if (setting.min !== undefined && value.length < setting.min)
        return refuse({ code: 'min-length', min: setting.min });
      if (setting.max !== undefined && value.length > setting.max)
        return refuse({ code: 'max-length', max: setting.max });
  }
  const weak = setting.type === 'password' ? weakPassword(value) : undefined;
  if (weak) return refuse(weak);
  if (setting.pattern !== undefined && !matchesPattern(setting.pattern, value)) {
    return refuse({ code: 'pattern', pattern: setting.pattern });
  }
  return { value };
}

/**
 * Checks one setting's value as it arrives (from the API's JSON or a form):
 * empty (`undefined` or `''`) is refused only when the setting is required;
 * otherwise the single-line rule comes first, whatever the type (the character
 * is a clearer answer than "must be an email address"), then the type's own.
 */
export function checkSetting(setting: SettingRules, raw: unknown): SettingVerdict {
  if (raw === undefined || raw === '') {
    return setting.required ? { problem: { code: 'required' } } : { value: undefined };
  }
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return { problem: { code: 'not-scalar' } };
  }
  const value = String(raw);
  const multiline = notSingleLine(value);
  if (multiline) return { problem: multiline };
  return checkType(setting, value);
}

/** A problem in the daemon's English, after the setting's path (`must be at most 65535`). */
export function settingProblemText(problem: SettingProblem): string {
  switch (problem.code) {
    case 'required':
      return 'is required';
    case 'not-scalar':
      return 'must be a string, number or boolean';
    case 'single-line': {
      const what = problem.name ? `${problem.character} (${problem.name})` : problem.character;
      return `must be a single line: ${what} is not allowed`;
    }
    case 'number':
      return 'must be a number';
    case 'min':
      return `must be at least ${problem.min}`;
    case 'max':
      return `must be at most ${problem.max}`;
    case 'boolean':
      return 'must be true or false';
    case 'choice':
      return `must be one of ${problem.choices.join(', ')}`;
    case 'email':
      return 'must be an email address';
    case 'domain':
      return 'must be a domain name such as example.org';
    case 'min-length':
      return `must be at least ${problem.min} characters long`;
    case 'max-length':
      return `must be at most ${problem.max} characters long`;
    case 'weak-password':
      return problem.reason === 'few-characters'
        ? 'is too easy to guess: use more different characters'
        : 'is too easy to guess: avoid common words and number sequences';
    case 'pattern':
      return `does not match the pattern ${problem.pattern}`;
  }
}
