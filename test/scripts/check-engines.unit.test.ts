// The engines check (scripts/check-engines.ts) over a made-up node_modules: a package that needs
// a newer Node than the project's floor is reported wherever it is nested; one that fits is not.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { engineProblems, floorOf } from '../../scripts/check-engines.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-engines-'));
after(() => rmSync(root, { recursive: true, force: true }));

function pkg(path: string, name: string, version: string, node?: string) {
  const dir = join(root, path);
  mkdirSync(dir, { recursive: true });
  const engines = node === undefined ? {} : { engines: { node } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, ...engines }));
}

pkg('node_modules/fits', 'fits', '1.0.0', '>=18');
pkg('node_modules/no-engines', 'no-engines', '1.0.0');
pkg('node_modules/@fastify/cookie', '@fastify/cookie', '11.1.5', '>=20');
// The packages npm ci warned about (issue 11 §5), nested as npm places them.
pkg('node_modules/@fastify/cookie/node_modules/cookie', 'cookie', '2.0.2', '>=22');
pkg('node_modules/content-disposition', 'content-disposition', '3.1.0', '>=22');
pkg('node_modules/vite', 'vite', '8.3.8', '^20.19.0 || >=22.12.0');

test('the floor of a range is its lowest version', () => {
  assert.equal(floorOf('^20.19.0 || >=22.12.0'), '20.19.0');
  assert.equal(floorOf('>=20'), '20.0.0');
});

test('packages whose engines exclude the floor are reported, nested ones too', () => {
  const problems = engineProblems(root, '20.19.0', '20.19.0');
  assert.deepEqual(problems.map((p) => p.pkg).sort(), [
    'content-disposition@3.1.0',
    'cookie@2.0.2',
  ]);
  const cookie = problems.find((p) => p.pkg === 'cookie@2.0.2');
  assert.equal(cookie?.path, join('node_modules/@fastify/cookie/node_modules/cookie'));
  assert.deepEqual(cookie?.excludes, ['the supported floor 20.19.0']);
});

test('a floor below what a package needs is reported even when the running Node fits', () => {
  const problems = engineProblems(root, '20.0.0', '22.12.0');
  assert.deepEqual(problems.find((p) => p.pkg === 'vite@8.3.8')?.excludes, [
    'the supported floor 20.0.0',
  ]);
});

test('a running Node outside a package engines is reported', () => {
  const problems = engineProblems(root, '22.12.0', '21.7.0');
  assert.deepEqual(problems.find((p) => p.pkg === 'vite@8.3.8')?.excludes, [
    'the running Node 21.7.0',
  ]);
});
