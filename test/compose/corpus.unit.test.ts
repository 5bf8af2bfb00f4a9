/**
 * Every file of the CasaOS corpus either normalises and translates, or is
 * refused with path-qualified problems, each for a reason checked against
 * the spec. One reason is left, and `docker compose` refuses it too:
 * `healthcheck.start_interval` (spec: healthcheck, Compose 2.20.2) needs
 * Engine API 1.44 ("can't set healthcheck.start_interval as feature require
 * Docker Engine v25 or later", docker/compose convert.go), and the
 * translation targets Debian bookworm's Docker 20.10 (API 1.41). So the
 * corpus is 166 of 167 (99.4%) on API 1.41 — every file Compose accepts on
 * that engine — and 167 of 167 on 1.44.
 *
 * GPU reservations (`deploy.resources.reservations.devices`, issue 12) were
 * refused until they were translated to `DeviceRequests`: 158 of 167 before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import {
  ComposeError,
  loadProject,
  type Problem,
  ProjectSchema,
  translateProject,
} from '../../compose/index.js';
import { readCorpus } from '../support/corpus.js';

/** App → the one kind of problem it is refused for on Engine API 1.41. */
const EXPECTED_REFUSALS: Record<string, { path: RegExp; message: string }> = {
  RomM: {
    path: /^services\.romm-db\.healthcheck\.start_interval$/,
    message: 'needs Docker Engine API 1.44 or newer; this engine speaks 1.41',
  },
};

function attempt(file: { path: string; content: string }, apiVersion?: string): Problem[] {
  try {
    const { project } = loadProject({ files: [file], environment: {} });
    assert.ok(Value.Check(ProjectSchema, project), `${file.path}: the model matches its schema`);
    const bodies = translateProject(project, { labels: { 'foyer.managed': 'true' }, apiVersion });
    assert.equal(bodies.containers.length, Object.keys(project.services).length, file.path);
    for (const container of bodies.containers) assert.ok(container.body.Image, file.path);
    return [];
  } catch (error) {
    if (!(error instanceof ComposeError)) throw new Error(`${file.path}: crashed: ${error}`);
    return error.problems;
  }
}

test('the CasaOS corpus: each file normalises and translates, or is refused for a known reason', () => {
  const corpus = readCorpus();
  assert.equal(corpus.length, 167, 'the corpus holds 167 files');
  const refused: string[] = [];
  for (const file of corpus) {
    const problems = attempt(file);
    if (problems.length === 0) continue;
    refused.push(file.app);
    const expected = EXPECTED_REFUSALS[file.app];
    assert.ok(expected, `${file.app} refused unexpectedly: ${JSON.stringify(problems)}`);
    for (const problem of problems) {
      assert.match(problem.path, expected.path, file.app);
      assert.equal(problem.message, expected.message, file.app);
    }
  }
  const translated = corpus.length - refused.length;
  console.log(`corpus: ${translated} normalised and translated, ${refused.length} refused`);
  assert.deepEqual(refused, Object.keys(EXPECTED_REFUSALS).sort());
  assert.equal(translated, 166);
});

test('on Engine API 1.44 the whole corpus translates: at least 99.5% accepted', () => {
  const corpus = readCorpus();
  const accepted = corpus.filter((file) => attempt(file, '1.44').length === 0).length;
  console.log(`corpus on API 1.44: ${accepted} of ${corpus.length}`);
  assert.equal(accepted, corpus.length);
  assert.ok(accepted / corpus.length >= 0.995);
});

test('the file refused for start_interval translates for an engine with API 1.44', () => {
  const romm = readCorpus().find((f) => f.app === 'RomM');
  assert.ok(romm);
  assert.deepEqual(attempt(romm, '1.44'), []);
});
