/**
 * The install form and the daemon agree about every setting (issue 12 §6):
 * one table of values, for every setting type, goes through the UI's path
 * (ui/src/lib/validate.ts, as the form checks a field) and the daemon's
 * (server/catalog/settings.ts resolveSettings, as the API checks a body).
 * Both must accept or refuse it, for the same problem: the daemon's message
 * is the English of the UI's problem code and parameters, and no two codes
 * share a message (test/server/setting-rules.unit.test.ts). What the form
 * accepts is also sent as the form sends it (settingsBody, through JSON) and
 * must be accepted and stored as the daemon stores it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppManifest, Setting } from '../../server/catalog/manifest.js';
import {
  SETTING_TYPES,
  type SettingProblemCode,
  settingProblemText,
} from '../../server/catalog/setting-rules.js';
import { resolveSettings } from '../../server/catalog/settings.js';
import { type FormValue, settingProblem, settingsBody } from '../../ui/src/lib/validate.ts';

type Rules = Omit<Setting, 'key'>;

/** Characters that end a line somewhere or act on a terminal, and two that do not. */
const CONTROLS = ['\0', '\n', '\r', '\v', '\f', '\x1b', '\x7f', '\x85', '\x9b', '\u2028', '\u2029'];

/** Each setting with the values a form may hold for it, good and bad. */
const TABLE: [Rules, FormValue[]][] = [
  [
    { type: 'string' },
    ['', 'hello', ' spaced ', 'tab\there', 'Zoë 😀', ...CONTROLS.map((c) => `a${c}b`)],
  ],
  [{ type: 'string', required: true }, ['', ' ', 'x']],
  [{ type: 'string', min: 3, max: 5 }, ['ab', 'abc', 'abcde', 'abcdef', 'ab\n']],
  [
    { type: 'string', pattern: '[a-z0-9][a-z0-9._-]{0,31}' },
    ['me', 'Me', 'me.you', '-me', 'a'.repeat(32), 'a'.repeat(33), 'me\u2028'],
  ],
  [{ type: 'string', pattern: '\\p{L}+|[0-9]+' }, ['Zoë', '42', 'Zoë42', '😀']],
  [{ type: 'string', pattern: '.' }, ['😀', 'ab']],
  [
    { type: 'password', required: true, min: 12 },
    [
      '',
      'short',
      'plum tree on the hill',
      'k7#Vq9!mZ2@p',
      'Password1234!',
      'aaaaaaaaaaaaaaa',
      '123456789012',
      '9876543210987',
      'azertyuiop12',
      'Qwerty2024!!',
      'letmein-9876',
      'plum\ttree on the hill',
      'plum tree\x85 on the hill',
    ],
  ],
  [
    { type: 'password', max: 16, pattern: '[^ ]+' },
    ['k7#Vq9!mZ2@p', 'k7#Vq9 mZ2@p', 'x'.repeat(17)],
  ],
  [
    { type: 'number', min: 1024, max: 65535 },
    ['', '8080', ' 8080 ', '1024', '1023', '65535', '65536', 'eighty', '80a', '1e3', '0x10', ' '],
  ],
  [{ type: 'number', required: true }, ['', '-1.5', 'Infinity', 'NaN', '1e400', '1\n2']],
  [{ type: 'boolean' }, [true, false, 'true', 'false', 'yes', '']],
  [{ type: 'boolean', required: true }, [true, false]],
  [
    { type: 'choice', choices: ['small', 'large'] },
    ['', 'small', 'large', 'huge', 'Small', 'small\r'],
  ],
  [{ type: 'choice', choices: ['small', 'large'], required: true }, ['', 'large']],
  [
    { type: 'email', required: true },
    ['', 'me@example.org', 'me@localhost', 'nobody', 'me @example.org', 'me\v@example.org'],
  ],
  [{ type: 'email', pattern: '.+@example\\.org' }, ['me@example.org', 'me@example.net']],
  [
    { type: 'domain', required: true },
    [
      '',
      'example.org',
      'mail.example.org',
      'EXAMPLE.ORG',
      'example',
      '-a.example.org',
      'a-.example.org',
      'a.123',
      'a..org',
      'not a domain',
      `${'a'.repeat(64)}.org`,
      'example.org\x1b',
    ],
  ],
];

const KEY = 'S';
const manifestOf = (rules: Rules): AppManifest => ({
  id: 'agree',
  name: 'Agree',
  version: '1',
  settings: [{ key: KEY, ...rules }],
});
const show = (rules: Rules, value: FormValue) =>
  `${JSON.stringify(rules)} ${JSON.stringify(value)}`;

describe('the install form and the daemon agree about every setting (issue 12 §6)', () => {
  test('the table has every setting type and every problem a form can meet', () => {
    assert.deepEqual(new Set(TABLE.map(([rules]) => rules.type)), new Set(SETTING_TYPES));
    const met = new Set<SettingProblemCode>();
    for (const [rules, values] of TABLE) {
      for (const value of values) {
        const code = settingProblem({ key: KEY, ...rules }, value)?.code;
        if (code) met.add(code);
      }
    }
    // `not-scalar` is the only code a form cannot meet: it holds text or a checkbox's boolean.
    const codes: SettingProblemCode[] = [
      'required',
      'single-line',
      'number',
      'min',
      'max',
      'boolean',
      'choice',
      'email',
      'domain',
      'min-length',
      'max-length',
      'weak-password',
      'pattern',
    ];
    assert.deepEqual([...met].sort(), codes.sort());
  });

  for (const [rules, values] of TABLE) {
    test(`${rules.type}: ${JSON.stringify(rules)}`, () => {
      const manifest = manifestOf(rules);
      for (const value of values) {
        const what = show(rules, value);
        const inForm = settingProblem({ key: KEY, ...rules }, value);
        const byDaemon = resolveSettings(manifest, { [KEY]: value }).problems;
        // Accept or refuse alike, and for the same problem (code and parameters).
        assert.deepEqual(
          byDaemon,
          inForm ? [{ path: `settings.${KEY}`, message: settingProblemText(inForm) }] : [],
          what,
        );
      }
    });
  }

  test('what the form accepts, sent as the form sends it, is accepted and kept', () => {
    for (const [rules, values] of TABLE) {
      const setting = { key: KEY, ...rules };
      for (const value of values) {
        if (settingProblem(setting, value)) continue;
        const what = show(rules, value);
        const body = JSON.parse(JSON.stringify(settingsBody([setting], { [KEY]: value })));
        const resolved = resolveSettings(manifestOf(rules), body);
        assert.deepEqual(resolved.problems, [], what);
        const kept = resolved.settings[KEY];
        if (value === '') assert.equal(kept, undefined, what);
        else if (rules.type === 'number') assert.equal(Number(kept), Number(value), what);
        else assert.equal(kept, String(value), what);
      }
    }
  });
});
