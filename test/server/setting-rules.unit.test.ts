/**
 * The shared rules of a setting (issue 12 §6): each rule's problem code and
 * parameters, the order the rules run in, the daemon's English for every
 * code, and the module staying importable by the UI's bundle (no imports).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  checkSetting,
  notSingleLine,
  type SettingProblem,
  type SettingRules,
  settingProblemText,
  weakPassword,
} from '../../server/catalog/setting-rules.js';

const problemOf = (setting: SettingRules, raw: unknown) => checkSetting(setting, raw).problem;
const storedValue = (setting: SettingRules, raw: unknown) => checkSetting(setting, raw).value;

describe('checkSetting', () => {
  test('empty is refused only when the setting is required', () => {
    for (const raw of [undefined, '']) {
      assert.deepEqual(checkSetting({ type: 'string' }, raw), { value: undefined });
      assert.deepEqual(problemOf({ type: 'number', required: true }, raw), { code: 'required' });
    }
    // Only the empty string is empty: blanks are a value, checked by the type.
    assert.deepEqual(problemOf({ type: 'number', required: true }, '  '), { code: 'number' });
    assert.equal(storedValue({ type: 'string', required: true }, ' '), ' ');
  });

  test('only strings, numbers and booleans are values', () => {
    for (const raw of [null, {}, ['a'], 1n]) {
      assert.deepEqual(problemOf({ type: 'string' }, raw), { code: 'not-scalar' });
    }
  });

  test('numbers: finite, within bounds, stored trimmed', () => {
    const port: SettingRules = { type: 'number', min: 1024, max: 65535 };
    assert.equal(storedValue(port, ' 8080 '), '8080');
    assert.equal(storedValue(port, 8080), '8080');
    assert.equal(storedValue(port, '1024'), '1024');
    assert.deepEqual(problemOf(port, 'eighty'), { code: 'number' });
    assert.deepEqual(problemOf(port, 'Infinity'), { code: 'number' });
    assert.deepEqual(problemOf(port, 80), { code: 'min', min: 1024 });
    assert.deepEqual(problemOf(port, '65536'), { code: 'max', max: 65535 });
  });

  test('booleans are true or false, as JSON or as text', () => {
    assert.equal(storedValue({ type: 'boolean' }, true), 'true');
    assert.equal(storedValue({ type: 'boolean' }, 'false'), 'false');
    assert.deepEqual(problemOf({ type: 'boolean' }, 'yes'), { code: 'boolean' });
  });

  test('choices, emails and domains', () => {
    const size: SettingRules = { type: 'choice', choices: ['small', 'large'] };
    assert.equal(storedValue(size, 'large'), 'large');
    assert.deepEqual(problemOf(size, 'huge'), { code: 'choice', choices: ['small', 'large'] });
    assert.equal(storedValue({ type: 'email' }, 'me@example.org'), 'me@example.org');
    assert.deepEqual(problemOf({ type: 'email' }, 'me@localhost'), { code: 'email' });
    assert.equal(storedValue({ type: 'domain' }, 'mail.example.org'), 'mail.example.org');
    for (const bad of ['example', '-a.example.org', 'a.123', 'a..org']) {
      assert.deepEqual(problemOf({ type: 'domain' }, bad), { code: 'domain' }, bad);
    }
  });

  test('text length from min and max, for strings and passwords', () => {
    const name: SettingRules = { type: 'string', min: 2, max: 4 };
    assert.deepEqual(problemOf(name, 'a'), { code: 'min-length', min: 2 });
    assert.deepEqual(problemOf(name, 'abcde'), { code: 'max-length', max: 4 });
    assert.deepEqual(problemOf({ type: 'password', min: 12 }, 'k7#Vq9'), {
      code: 'min-length',
      min: 12,
    });
  });

  test('a password long enough but easy to guess is refused; a string is not checked so', () => {
    const password: SettingRules = { type: 'password', min: 12 };
    assert.deepEqual(problemOf(password, 'Password1234!'), {
      code: 'weak-password',
      reason: 'common',
    });
    assert.equal(storedValue({ type: 'string', min: 12 }, 'Password1234!'), 'Password1234!');
  });

  test('patterns match the whole value, read with the u flag as the lint reads them', () => {
    const user: SettingRules = { type: 'string', pattern: '[a-z]+|[0-9]+' };
    assert.equal(storedValue(user, 'abc'), 'abc');
    // Anchored around the whole alternation, not only its first branch.
    assert.deepEqual(problemOf(user, 'abc1'), { code: 'pattern', pattern: '[a-z]+|[0-9]+' });
    assert.equal(storedValue({ type: 'string', pattern: '\\p{L}+' }, 'Zoë'), 'Zoë');
    assert.equal(storedValue({ type: 'string', pattern: '.' }, '😀'), '😀');
    // One the lint would refuse matches nothing rather than throwing.
    assert.equal(problemOf({ type: 'string', pattern: '(' }, 'x')?.code, 'pattern');
  });

  test('the single-line rule runs first, whatever the type', () => {
    const line = { code: 'single-line', character: 'U+000A', name: 'line feed' };
    for (const type of ['string', 'password', 'number', 'email', 'domain', 'choice'] as const) {
      assert.deepEqual(problemOf({ type, choices: ['a'] }, 'a\nb'), line, type);
    }
    // Then the type's own rules, then the weak-password one, then the pattern.
    assert.deepEqual(problemOf({ type: 'password', min: 20, pattern: 'x' }, 'password'), {
      code: 'min-length',
      min: 20,
    });
    assert.equal(problemOf({ type: 'password', pattern: 'x' }, 'password')?.code, 'weak-password');
  });
});

describe('notSingleLine and weakPassword', () => {
  test('names the character by code point, and by name when it has a common one', () => {
    assert.deepEqual(notSingleLine('a\u2029'), {
      code: 'single-line',
      character: 'U+2029',
      name: 'paragraph separator',
    });
    assert.deepEqual(notSingleLine('\x9b'), { code: 'single-line', character: 'U+009B' });
    assert.equal(notSingleLine('a\tb'), undefined);
  });

  test('tells too few different characters from common words', () => {
    assert.deepEqual(weakPassword('abababababab'), {
      code: 'weak-password',
      reason: 'few-characters',
    });
    assert.deepEqual(weakPassword('9876543210987'), { code: 'weak-password', reason: 'common' });
    assert.equal(weakPassword('plum tree on the hill'), undefined);
  });
});

/** One problem of every code, with the daemon's exact words for it. */
const ENGLISH: [SettingProblem, string][] = [
  [{ code: 'required' }, 'is required'],
  [{ code: 'not-scalar' }, 'must be a string, number or boolean'],
  [
    { code: 'single-line', character: 'U+000B', name: 'line tabulation' },
    'must be a single line: U+000B (line tabulation) is not allowed',
  ],
  [{ code: 'single-line', character: 'U+009B' }, 'must be a single line: U+009B is not allowed'],
  [{ code: 'number' }, 'must be a number'],
  [{ code: 'min', min: 1024 }, 'must be at least 1024'],
  [{ code: 'max', max: 65535 }, 'must be at most 65535'],
  [{ code: 'boolean' }, 'must be true or false'],
  [{ code: 'choice', choices: ['small', 'large'] }, 'must be one of small, large'],
  [{ code: 'email' }, 'must be an email address'],
  [{ code: 'domain' }, 'must be a domain name such as example.org'],
  [{ code: 'min-length', min: 12 }, 'must be at least 12 characters long'],
  [{ code: 'max-length', max: 40 }, 'must be at most 40 characters long'],
  [
    { code: 'weak-password', reason: 'few-characters' },
    'is too easy to guess: use more different characters',
  ],
  [
    { code: 'weak-password', reason: 'common' },
    'is too easy to guess: avoid common words and number sequences',
  ],
  [{ code: 'pattern', pattern: '[a-z]+' }, 'does not match the pattern [a-z]+'],
];

describe('settingProblemText', () => {
  test("words every code in the daemon's English, as the API has always said it", () => {
    for (const [problem, text] of ENGLISH) assert.equal(settingProblemText(problem), text);
  });

  test('tells every code apart, so a message names its code', () => {
    const texts = ENGLISH.map(([problem]) => settingProblemText(problem));
    assert.equal(new Set(texts).size, texts.length);
  });
});

test('the module imports nothing, so the UI bundles it without Node', () => {
  const source = readFileSync(new URL('../../server/catalog/setting-rules.ts', import.meta.url), {
    encoding: 'utf8',
  });
  assert.doesNotMatch(source, /^\s*import\b|\brequire\(|\bimport\(/m);
});
