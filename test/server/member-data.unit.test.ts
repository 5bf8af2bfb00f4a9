/**
 * A member's data in the apps (issue 14): the `memberData` field of app.yaml (path-qualified
 * problems, the `{name}` placeholder only), the paths made of a member's name (anything that
 * could leave the member's place refused), Prosody's encoding, settings and `*` in paths, the
 * deleting command, the places found in installs' pinned definitions, and the catalogue's mail,
 * calendar and chat declaring theirs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseManifest, validateManifest } from '../../server/catalog/manifest.js';
import {
  deleteCommand,
  memberDataInstalls,
  memberDataPath,
  memberDataPathProblem,
  memberDataTargets,
  prosodyEncode,
} from '../../server/directory/member-data.js';
import type { Install } from '../../server/store/index.js';

const BASE = { id: 'mail', name: 'Mail', version: '1', accounts: 'directory' };
const problemsOf = (memberData: unknown, extra: Record<string, unknown> = {}) =>
  validateManifest({ ...BASE, ...extra, memberData }).map((p) => `${p.path}: ${p.message}`);

describe('memberData in app.yaml', () => {
  test('good paths pass; each bad one says why', () => {
    for (const good of [
      'members/{name}',
      '{name}',
      'collection-root/{name}',
      'a/{name}.dat',
      '{setting:DOMAIN}/*/{name}.dat',
      '*/{name}',
      'a/*/b/{name}.list',
    ]) {
      assert.equal(memberDataPathProblem(good), undefined, good);
    }
    const bad: [string, RegExp][] = [
      ['/var/mail/{name}', /relative/],
      ['members', /must hold \{name\}/],
      ['members/{user}/{name}', /no placeholder but \{name\} and \{setting:KEY\}/],
      ['{setting:}/{name}', /no placeholder but/],
      ['{setting:A-B}/{name}', /no placeholder but/],
      ['*/*/{name}', /only one "\*" segment/],
      ['a*/{name}', /must be a whole segment/],
      ['{name}/*', /\{name\} in a segment after "\*"/],
      ['{name}/*/x.dat', /\{name\} in a segment after "\*"/],
      ['${DOMAIN}/{name}', /no placeholder but \{name\}/],
      ['members//{name}', /empty segment/],
      ['members/{name}/', /empty segment/],
      ['../{name}', /"\." or "\.\."/],
      ['./{name}', /"\." or "\.\."/],
      ['a b/{name}', /may hold only/],
      ['a\\b/{name}', /may hold only/],
    ];
    for (const [path, why] of bad) assert.match(memberDataPathProblem(path) ?? '', why, path);
  });

  test('the manifest reports problems at their path, and needs accounts: directory', () => {
    assert.deepEqual(
      problemsOf([{ service: 'dovecot', volume: 'mail', path: 'members/{name}' }]),
      [],
    );
    assert.deepEqual(problemsOf([{ service: 'dovecot', volume: 'mail', path: '/x/{name}' }]), [
      'memberData[0].path: must be relative to the volume (no leading "/")',
    ]);
    assert.deepEqual(
      problemsOf([
        { service: 'dovecot', volume: 'mail', path: 'm/{name}' },
        { service: 'dovecot', volume: 'mail', path: 'm/{name}' },
      ]),
      ['memberData[1].path: is already memberData[0]'],
    );
    assert.deepEqual(
      problemsOf([{ service: 'dovecot', volume: 'mail', path: 'm/{name}' }], {
        accounts: undefined,
      }),
      ['memberData: only an app with "accounts: directory" has members'],
    );
    assert.deepEqual(problemsOf([{ service: 'dovecot', volume: 'a/b', path: '{name}' }]), [
      'memberData[0].volume: must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$',
    ]);
    assert.deepEqual(
      problemsOf([{ service: 'dovecot', volume: 'mail', path: '{name}', mode: 1 }]),
      ['memberData[0].mode: is not a known field'],
    );
    assert.deepEqual(problemsOf([]), ['memberData: must have at least 1 item(s)']);
  });

  test('a path is made of a member name only; anything leaving its place is refused', () => {
    assert.equal(memberDataPath('members/{name}', 'alice'), 'members/alice');
    assert.equal(
      memberDataPath('{name}/x/{name}.dat', 'jean.dupont'),
      'jean.dupont/x/jean.dupont.dat',
    );
    for (const name of [
      '',
      '..',
      'a/b',
      '../root',
      'a..b',
      '/',
      'Alice',
      '.hidden',
      'x'.repeat(65),
    ]) {
      assert.throws(() => memberDataPath('members/{name}', name), /not a member name/, name);
    }
    assert.throws(() => memberDataPath('../{name}', 'alice'), /"\." or "\.\."/);
  });

  test('the places come from installs whose pinned app declares them', () => {
    const install = (id: string, definition: string) => ({ id, definition }) as Install;
    const manifests: Record<string, unknown> = {
      m: { ...BASE, memberData: [{ service: 'dovecot', volume: 'mail', path: 'members/{name}' }] },
      c: {
        ...BASE,
        id: 'calendar',
        memberData: [
          { service: 'radicale', volume: 'collections', path: 'collection-root/{name}' },
        ],
      },
      w: { id: 'web', name: 'Web', version: '1' },
      // Declared without directory accounts (an invalid definition never gets this far).
      x: {
        id: 'x',
        name: 'X',
        version: '1',
        memberData: [{ service: 's', volume: 'v', path: '{name}' }],
      },
    };
    const pins = {
      of: (i: Install) => {
        const manifest = manifests[i.definition ?? ''];
        return manifest ? ({ manifest } as never) : undefined;
      },
    };
    const installs = memberDataInstalls(
      [
        install('mail', 'm'),
        install('family-cal', 'c'),
        install('blog', 'w'),
        install('x', 'x'),
        install('gone', 'none'),
      ],
      pins,
    );
    assert.deepEqual(
      installs.map((i) => i.id),
      ['mail', 'family-cal'],
    );
    assert.deepEqual(memberDataTargets(installs, 'bob'), [
      {
        install: 'mail',
        service: 'dovecot',
        volume: 'mail',
        engineVolume: 'mail_mail',
        path: 'members/bob',
      },
      {
        install: 'family-cal',
        service: 'radicale',
        volume: 'collections',
        engineVolume: 'family-cal_collections',
        path: 'collection-root/bob',
      },
    ]);
    assert.throws(() => memberDataTargets(installs, '../bob'), /not a member name/);
  });

  test('{setting:KEY} names a plain setting the app declares, always with a value', () => {
    const chat = (path: string, settings: unknown[], encoding = 'prosody') =>
      problemsOf([{ service: 'prosody', volume: 'data', path, encoding }], { settings });
    const DOMAIN = { key: 'DOMAIN', type: 'domain', required: true };
    assert.deepEqual(chat('{setting:DOMAIN}/*/{name}.dat', [DOMAIN]), []);
    assert.deepEqual(
      chat('{setting:PORT}/{name}', [{ key: 'PORT', type: 'number', default: 1 }]),
      [],
    );
    assert.deepEqual(chat('{setting:HOST}/*/{name}.dat', [DOMAIN]), [
      'memberData[0].path: {setting:HOST} names no setting of the app',
    ]);
    assert.deepEqual(
      chat('{setting:KEY}/{name}', [{ key: 'KEY', type: 'password', required: true }]),
      ['memberData[0].path: {setting:KEY} is a secret, not a plain value a path can hold'],
    );
    assert.deepEqual(
      chat('{setting:KEY}/{name}', [{ key: 'KEY', type: 'string', secret: { generate: true } }]),
      ['memberData[0].path: {setting:KEY} is a secret, not a plain value a path can hold'],
    );
    assert.deepEqual(chat('{setting:KEY}/{name}', [{ key: 'KEY', type: 'string' }]), [
      'memberData[0].path: {setting:KEY} must be required or have a default, so the path always has it',
    ]);
    assert.deepEqual(chat('{setting:DOMAIN}/{name}', [DOMAIN], 'base64'), [
      'memberData[0].encoding: must be one of plain, prosody',
    ]);
  });

  test("Prosody's encoding: every byte but a letter or digit as %xx, ASCII lowered", () => {
    // util/datamanager.lua: s:gsub("%W", function (c) return format("%%%02x", c:byte()) end)
    assert.equal(prosodyEncode('alice'), 'alice');
    assert.equal(prosodyEncode('chat.foyer.test'), 'chat%2efoyer%2etest');
    assert.equal(prosodyEncode('jo.ann-b_c'), 'jo%2eann%2db%5fc');
    assert.equal(prosodyEncode('Chat.Example.ORG'), 'chat%2eexample%2eorg');
    assert.equal(prosodyEncode('a/b%c'), 'a%2fb%25c');
    assert.equal(prosodyEncode('é'), '%c3%a9');
  });

  test("paths with settings, encoding and '*'; a value that could leave its place is refused", () => {
    const prosody = { encoding: 'prosody' as const, settings: { DOMAIN: 'chat.foyer.test' } };
    assert.equal(
      memberDataPath('{setting:DOMAIN}/*/{name}.dat', 'jo.ann-b', prosody),
      'chat%2efoyer%2etest/*/jo%2eann%2db.dat',
    );
    assert.equal(
      memberDataPath('{setting:DOMAIN}/*/{name}.list', 'ann', prosody),
      'chat%2efoyer%2etest/*/ann.list',
    );
    // Plain values are used as they are, and checked as literal segments.
    assert.equal(
      memberDataPath('{setting:DOMAIN}/{name}', 'ann', { settings: { DOMAIN: 'x.test' } }),
      'x.test/ann',
    );
    for (const value of ['..', 'a/b', '', 'a b', '*']) {
      assert.throws(
        () => memberDataPath('{setting:V}/{name}', 'ann', { settings: { V: value } }),
        value === '' ? /no value for V/ : /could leave the member's place/,
        value,
      );
    }
    assert.throws(() => memberDataPath('{setting:V}/{name}', 'ann'), /no value for V/);
    assert.throws(
      () =>
        memberDataPath('{setting:A}{setting:B}/{name}', 'ann', { settings: { A: '.', B: '.' } }),
      /could leave the member's place/,
    );
    // Encoded, nothing a value holds can leave its segment.
    assert.equal(
      memberDataPath('{setting:V}/{name}', 'ann', { encoding: 'prosody', settings: { V: '../*' } }),
      '%2e%2e%2f%2a/ann',
    );
  });

  test("a chat install's places: its domain setting (or a default) made into Prosody's names", () => {
    const chat = {
      ...BASE,
      id: 'chat',
      settings: [
        { key: 'DOMAIN', type: 'domain', required: true },
        { key: 'STORE', type: 'string', default: 'roster' },
      ],
      memberData: [
        {
          service: 'prosody',
          volume: 'data',
          path: '{setting:DOMAIN}/*/{name}.dat',
          encoding: 'prosody',
        },
        {
          service: 'prosody',
          volume: 'data',
          path: '{setting:DOMAIN}/{setting:STORE}/{name}.list',
        },
      ],
    };
    const installs = memberDataInstalls(
      [
        {
          id: 'talk',
          definition: 'ch',
          settings: { DOMAIN: 'Chat.Example.org' },
        } as unknown as Install,
      ],
      { of: () => ({ manifest: chat }) as never },
    );
    assert.deepEqual(installs[0]?.settings, { DOMAIN: 'Chat.Example.org', STORE: 'roster' });
    assert.deepEqual(
      memberDataTargets(installs, 'ann').map((t) => `${t.engineVolume}:${t.path}`),
      ['talk_data:chat%2eexample%2eorg/*/ann.dat', 'talk_data:Chat.Example.org/roster/ann.list'],
    );
  });

  test('the deleting command: rm for a plain path; find at the exact depth and name for "*"', () => {
    assert.deepEqual(deleteCommand('members/ann'), ['rm', '-rf', '--', 'members/ann']);
    assert.deepEqual(deleteCommand('chat%2efoyer%2etest/*/ann.dat'), [
      'find',
      '.',
      '-mindepth',
      '3',
      '-maxdepth',
      '3',
      '-path',
      './chat%2efoyer%2etest/*/ann.dat',
      '-name',
      'ann.dat',
      '-exec',
      'rm',
      '-rf',
      '--',
      '{}',
      '+',
    ]);
  });

  test("the catalogue's mail, calendar and chat declare where a member's data lives", () => {
    const read = (app: string) => {
      const { manifest, problems } = parseManifest(
        readFileSync(new URL(`../../catalog/${app}/app.yaml`, import.meta.url), 'utf8'),
      );
      assert.deepEqual(problems, []);
      return manifest?.memberData;
    };
    assert.deepEqual(read('mail'), [
      { service: 'dovecot', volume: 'mail', path: 'members/{name}' },
    ]);
    assert.deepEqual(read('calendar'), [
      { service: 'radicale', volume: 'collections', path: 'collection-root/{name}' },
    ]);
    assert.deepEqual(read('chat'), [
      {
        service: 'prosody',
        volume: 'data',
        path: '{setting:DOMAIN}/*/{name}.dat',
        encoding: 'prosody',
      },
      {
        service: 'prosody',
        volume: 'data',
        path: '{setting:DOMAIN}/*/{name}.list',
        encoding: 'prosody',
      },
    ]);
  });
});
