import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ComposeError, formatProblem } from '../../compose/problems.js';
import { listCatalog, readAppFolder } from '../../server/catalog/catalog.js';
import { parseManifest } from '../../server/catalog/manifest.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-catalog-'));
after(() => rmSync(root, { recursive: true, force: true }));

const COMPOSE = 'services:\n  web:\n    image: busybox\n';

const FULL = `
id: radicale
name: Radicale
version: "3.1.8"
summary: Calendars and contacts
description: A CalDAV and CardDAV server.
categories: [productivity]
icon: icon.svg
website: https://radicale.org
source: https://github.com/Kozea/Radicale
license: GPL-3.0-or-later
architectures: [amd64, arm64, armhf]
requirements: {memory: 128m, disk: 1g}
web: {service: web, port: 5232}
ports:
  - {port: 5232, protocol: tcp, service: web, description: CalDAV}
settings:
  - {key: DOMAIN, type: domain, label: Domain, required: true}
  - {key: ADMIN_PASSWORD, type: password, secret: {generate: true, length: 32}}
  - {key: WORKERS, type: number, default: 2, min: 1, max: 8}
  - {key: PUBLIC, type: boolean, default: false}
  - {key: THEME, type: choice, choices: [light, dark], default: dark}
permissions: ["bind:/srv/calendars", "cap_add:CAP_NET_BIND_SERVICE"]
notes: Log in as admin.
`;

/** Writes an app folder under `catalog` and returns its path. */
function writeApp(catalog: string, name: string, files: Record<string, string>): string {
  const dir = join(root, catalog, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ComposeError, `expected a ComposeError, got ${String(error)}`);
    return error.problems.map(formatProblem);
  }
  assert.fail('expected a ComposeError');
}

function manifestProblems(yaml: string): string[] {
  return parseManifest(yaml).problems.map(formatProblem);
}

const MINIMAL = 'id: demo\nname: Demo\nversion: "1"\n';

describe('app.yaml', () => {
  test('a full manifest is read with its types', () => {
    const { manifest, problems } = parseManifest(FULL);
    assert.deepEqual(problems, []);
    assert.equal(manifest?.id, 'radicale');
    assert.equal(manifest?.settings?.[1]?.secret?.length, 32);
    assert.equal(manifest?.settings?.[2]?.default, 2);
    assert.deepEqual(manifest?.web, { service: 'web', port: 5232 });
  });

  test('only id, name and version are required', () => {
    assert.deepEqual(parseManifest(MINIMAL).problems, []);
    assert.deepEqual(manifestProblems('summary: nothing else\n'), [
      'app.yaml: id: is required',
      'app.yaml: name: is required',
      'app.yaml: version: is required',
    ]);
  });

  test('every schema problem is reported, each at its path', () => {
    const yaml = `${MINIMAL}settings:
  - {key: A, type: text}
  - {key: B, type: string, secret: {generate: false}}
  - {key: C, type: number, colour: red}
ports: [{port: 70000}]
permisions: [privileged]
`;
    assert.deepEqual(manifestProblems(yaml), [
      'app.yaml: ports[0].port: must be at most 65535',
      'app.yaml: settings[0].type: must be one of string, password, number, boolean, choice, email, domain',
      'app.yaml: settings[1].secret.generate: must be true',
      'app.yaml: settings[2].colour: is not a known field',
      'app.yaml: permisions: is not a known field (did you mean "permissions"?)',
    ]);
  });

  test('an unquoted version gets a hint; a bad id its pattern', () => {
    assert.deepEqual(manifestProblems('id: Demo_App\nname: Demo\nversion: 1.5\n'), [
      'app.yaml: id: must match ^[a-z0-9][a-z0-9-]{0,39}$',
      'app.yaml: version: must be a string (quote it: "1.5")',
    ]);
  });

  test('web.auth: true, false or members-basic; members-basic only with the directory', () => {
    const web = (auth: string, accounts = '') =>
      manifestProblems(`${MINIMAL}web: {service: web, port: 80, auth: ${auth}}\n${accounts}`);
    assert.deepEqual(web('true'), []);
    assert.deepEqual(web('false'), []);
    assert.deepEqual(web('members-basic', 'accounts: directory\n'), []);
    assert.deepEqual(web('members-basic'), [
      'app.yaml: web.auth: members-basic needs `accounts: directory`',
    ]);
    assert.deepEqual(web('basic', 'accounts: directory\n'), [
      'app.yaml: web.auth: must be one of true, false, members-basic',
    ]);
    assert.equal(
      parseManifest(
        `${MINIMAL}web: {service: w, port: 80, auth: members-basic}\naccounts: directory\n`,
      ).manifest?.web?.auth,
      'members-basic',
    );
  });

  test('meaning: unique keys, fitting defaults, known permissions', () => {
    const yaml = `${MINIMAL}settings:
  - {key: A, type: string}
  - {key: A, type: number, default: "two", min: 5, max: 1}
  - {key: FOYER_DOMAIN, type: choice}
  - {key: C, type: choice, choices: [x, y], default: z}
  - {key: D, type: boolean, secret: {generate: true}}
  - {key: E, type: string, pattern: "(", secret: {generate: true}, default: abc}
requirements: {memory: lots}
permissions: [privileged, "bind:relative", root]
`;
    assert.deepEqual(manifestProblems(yaml), [
      'app.yaml: settings[1].key: "A" is already settings[0]',
      'app.yaml: settings[1].max: must not be below min (5)',
      'app.yaml: settings[1].default: must be a number',
      'app.yaml: settings[2].key: FOYER_ names are reserved for Foyer',
      'app.yaml: settings[2].choices: required for a choice',
      'app.yaml: settings[3].default: must be one of x, y',
      'app.yaml: settings[4].secret: only a string or password setting can be generated',
      'app.yaml: settings[5].pattern: is not a valid regular expression',
      'app.yaml: settings[5].default: a generated secret cannot have a default',
      'app.yaml: requirements.memory: must be a byte size such as 512m or 2g',
      'app.yaml: permissions[1]: "bind:relative" is not a known permission',
      'app.yaml: permissions[2]: "root" is not a known permission',
    ]);
  });

  test('YAML 1.2 core schema: yes stays a string; syntax errors name line and column', () => {
    assert.deepEqual(manifestProblems('id: demo\nname: yes\nversion: "1"\n'), []);
    assert.deepEqual(manifestProblems('id: demo\nname: [unclosed\n'), [
      'app.yaml:3:1: unexpected end of the stream within a flow collection',
    ]);
    assert.deepEqual(manifestProblems('- a list\n'), ['app.yaml: must be a mapping of fields']);
    assert.deepEqual(manifestProblems('id: a\nid: b\n').length, 1, 'duplicate keys refused');
  });
});

describe('readAppFolder', () => {
  test('returns the manifest and the Compose file', () => {
    const dir = writeApp('read', 'radicale', { 'app.yaml': FULL, 'compose.yaml': COMPOSE });
    const app = readAppFolder(dir);
    assert.equal(app.dir, dir);
    assert.equal(app.manifest.name, 'Radicale');
    assert.equal(app.composePath, join(dir, 'compose.yaml'));
    assert.equal(app.composeContent, COMPOSE);
  });

  test('accepts the other names Compose looks for', () => {
    const dir = writeApp('read', 'legacy', { 'app.yaml': MINIMAL, 'docker-compose.yml': COMPOSE });
    assert.equal(readAppFolder(dir).composePath, join(dir, 'docker-compose.yml'));
  });

  test('throws every problem at once', () => {
    const dir = writeApp('read', 'broken', { 'app.yaml': 'name: 5\n' });
    assert.deepEqual(
      problemsOf(() => readAppFolder(dir)),
      [
        'app.yaml: id: is required',
        'app.yaml: name: must be a string (quote it: "5")',
        'app.yaml: version: is required',
        'compose.yaml: not found',
      ],
    );
    const empty = writeApp('read', 'empty', {});
    assert.deepEqual(
      problemsOf(() => readAppFolder(empty)),
      ['app.yaml: not found', 'compose.yaml: not found'],
    );
  });
});

describe('listCatalog', () => {
  test('lists apps across folders; broken apps and duplicates become problems', () => {
    const manifest = (id: string) => `id: ${id}\nname: ${id}\nversion: "1"\n`;
    const first = writeApp('one', 'alpha', {
      'app.yaml': manifest('alpha'),
      'compose.yaml': COMPOSE,
    });
    writeApp('one', 'bravo', { 'app.yaml': manifest('bravo'), 'compose.yaml': COMPOSE });
    writeApp('one', 'broken', { 'app.yaml': 'id: broken\n', 'compose.yaml': COMPOSE });
    writeApp('one', 'not-an-app', { 'README.md': 'notes' });
    writeApp('one', '.git', { 'app.yaml': manifest('git') });
    writeFileSync(join(root, 'one', 'stray-file.txt'), 'x');
    const copy = writeApp('two', 'alpha-fork', {
      'app.yaml': manifest('alpha'),
      'compose.yaml': COMPOSE,
    });
    writeApp('two', 'charlie', { 'app.yaml': manifest('charlie'), 'compose.yaml': COMPOSE });

    const missing = join(root, 'missing');
    const { apps, problems } = listCatalog([join(root, 'one'), join(root, 'two'), missing]);
    assert.deepEqual(
      apps.map((a) => a.manifest.id),
      ['alpha', 'bravo', 'charlie'],
    );
    assert.equal(apps[0]?.dir, first, 'the first alpha wins');
    assert.deepEqual(problems.map(formatProblem), [
      `${join(root, 'one', 'broken')}/app.yaml: name: is required`,
      `${join(root, 'one', 'broken')}/app.yaml: version: is required`,
      `${copy}/app.yaml: id: "alpha" is already the id of ${first}; this one is ignored`,
      `${missing}: catalogue folder cannot be read (ENOENT)`,
    ]);
  });
});
