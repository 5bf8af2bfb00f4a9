/**
 * Pinned definitions (issue 17): the copy an install renders from is named by
 * its content, keeps the files' modes, never changes when the catalogue
 * folder does; what the catalogue offers is compared with it; an update's
 * changes are described from both.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hashFolder, pinFolder, pruneDefinitions } from '../../server/catalog/definitions.js';
import { definitionStatus, PinnedDefinitions } from '../../server/catalog/pins.js';
import { createCatalog } from '../../server/catalog/service.js';
import { diffDefinitions } from '../../server/catalog/update-plan.js';
import { hashBuildContext } from '../../server/reconcile/build-hash.js';
import type { Install } from '../../server/store/index.js';

function appFolder(root: string, version: string, command = 'true'): string {
  const dir = join(root, 'demo');
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(
    join(dir, 'app.yaml'),
    `id: demo\nname: Demo\nversion: "${version}"\nsummary: A demo.\npermissions: []\n`,
  );
  writeFileSync(
    join(dir, 'compose.yaml'),
    `services:\n  init:\n    image: busybox\n    command: ["${command}"]\n    restart: "no"\n`,
  );
  writeFileSync(join(dir, 'files', 'start.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'files', 'start.sh'), 0o755);
  return dir;
}

function install(fields: Partial<Install>): Install {
  return {
    id: 'demo',
    appId: 'demo',
    appDir: '/nowhere',
    definition: null,
    appVersion: null,
    previousDefinition: null,
    settings: {},
    acceptedPermissions: [],
    desired: 'running',
    purge: false,
    generation: 1,
    createdAt: '',
    updatedAt: '',
    ...fields,
  };
}

describe('pinned copies', () => {
  test('a copy is named by its content, keeps modes, and outlives changes to the folder', () => {
    const data = mkdtempSync(join(tmpdir(), 'foyer-def-'));
    const catalog = mkdtempSync(join(tmpdir(), 'foyer-def-cat-'));
    const dir = appFolder(catalog, '1.0');
    const hash = pinFolder(data, dir);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(pinFolder(data, dir), hash, 'the same content pins to the same copy');
    assert.equal(hashFolder(dir), hash);
    const copy = join(data, 'definitions', hash);
    assert.equal(statSync(join(copy, 'files', 'start.sh')).mode & 0o777, 0o755);
    // A build of the copy hashes like a build of the folder: no rebuild when an install is pinned.
    const build = (context: string) =>
      hashBuildContext({ context, dockerfile: 'Dockerfile', args: {} } as never);
    assert.equal(build(copy), build(dir));

    appFolder(catalog, '2.0', 'v2');
    assert.notEqual(hashFolder(dir), hash);
    assert.match(readFileSync(join(copy, 'app.yaml'), 'utf8'), /version: "1\.0"/);
    assert.match(readFileSync(join(copy, 'compose.yaml'), 'utf8'), /\["true"\]/);
  });

  test('prune keeps what installs refer to and removes the rest and crash leftovers', () => {
    const data = mkdtempSync(join(tmpdir(), 'foyer-def-'));
    const catalog = mkdtempSync(join(tmpdir(), 'foyer-def-cat-'));
    const v1 = pinFolder(data, appFolder(catalog, '1.0'));
    const v2 = pinFolder(data, appFolder(catalog, '2.0'));
    mkdirSync(join(data, 'definitions', '.tmp-abandoned'));
    assert.equal(pruneDefinitions(data, new Set([v2])), 2);
    assert.deepEqual(readdirSync(join(data, 'definitions')), [v2]);
    assert.notEqual(v1, v2);
  });
});

describe('what the catalogue offers an install', () => {
  test('listed and the same, listed and newer, broken, removed', () => {
    const data = mkdtempSync(join(tmpdir(), 'foyer-def-'));
    const root = mkdtempSync(join(tmpdir(), 'foyer-def-cat-'));
    const dir = appFolder(root, '1.0');
    const pins = new PinnedDefinitions(data);
    const { hash } = pins.pin(dir);
    const pinned = install({ appDir: dir, definition: hash, appVersion: '1.0' });
    let catalog = createCatalog([root]);
    assert.deepEqual(definitionStatus(pinned, catalog), { version: '1.0', catalog: 'listed' });

    appFolder(root, '2.0', 'v2');
    catalog = createCatalog([root]);
    assert.deepEqual(definitionStatus(pinned, catalog), {
      version: '1.0',
      available: '2.0',
      catalog: 'listed',
    });

    writeFileSync(join(dir, 'app.yaml'), 'id: demo\nname: [oops\n');
    catalog = createCatalog([root]);
    const broken = definitionStatus(pinned, catalog);
    assert.equal(broken.catalog, 'invalid');
    assert.ok(
      broken.problems?.every((p) => p.path.startsWith(`${dir}/app.yaml`)),
      JSON.stringify(broken),
    );
    // The pinned copy is untouched and still reads.
    assert.equal(pins.read(hash).manifest.version, '1.0');

    rmSync(dir, { recursive: true });
    catalog = createCatalog([root]);
    assert.deepEqual(definitionStatus(pinned, catalog), { version: '1.0', catalog: 'removed' });
  });
});

describe('what an update changes', () => {
  test('version, images, permissions asked anew or dropped, settings', () => {
    const changes = diffDefinitions(
      {
        version: '1.0',
        images: { web: 'nginx:1', init: 'busybox:1' },
        permissions: ['cap:NET_ADMIN'],
        settings: ['PORT', 'OLD'],
      },
      ['cap:NET_ADMIN'],
      {
        version: '2.0',
        images: { web: 'nginx:2', worker: 'busybox:1' },
        permissions: ['device:/dev/fuse'],
        settings: ['PORT', 'NEW'],
      },
    );
    assert.deepEqual(changes, {
      from: '1.0',
      to: '2.0',
      images: [
        { service: 'init', from: 'busybox:1', to: null },
        { service: 'web', from: 'nginx:1', to: 'nginx:2' },
        { service: 'worker', from: null, to: 'busybox:1' },
      ],
      permissions: { added: ['device:/dev/fuse'], removed: ['cap:NET_ADMIN'] },
      settings: { added: ['NEW'], removed: ['OLD'] },
    });
  });
});
