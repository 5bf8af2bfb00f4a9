/**
 * A member's data in the apps (issue 14): the `memberData` field of app.yaml (path-qualified
 * problems, the `{name}` placeholder only), the paths made of a member's name (anything that
 * could leave the member's place refused), the places found in installs' pinned definitions,
 * and the catalogue's mail and calendar declaring theirs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseManifest, validateManifest } from '../../server/catalog/manifest.js';
import {
  memberDataInstalls,
  memberDataPath,
  memberDataPathProblem,
  memberDataTargets,
} from '../../server/directory/member-data.js';
import type { Install } from '../../server/store/index.js';

const BASE = { id: 'mail', name: 'Mail', version: '1', accounts: 'directory' };
const problemsOf = (memberData: unknown, extra: Record<string, unknown> = {}) =>
  validateManifest({ ...BASE, ...extra, memberData }).map((p) => `${p.path}: ${p.message}`);

describe('memberData in app.yaml', () => {
  test('good paths pass; each bad one says why', () => {
    for (const good of ['members/{name}', '{name}', 'collection-root/{name}', 'a/{name}.dat']) {
      assert.equal(memberDataPathProblem(good), undefined, good);
    }
    const bad: [string, RegExp][] = [
      ['/var/mail/{name}', /relative/],
      ['members', /must hold \{name\}/],
      ['members/{user}/{name}', /no placeholder but \{name\}/],
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

  test("the catalogue's mail and calendar declare where a member's data lives", () => {
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
  });
});
