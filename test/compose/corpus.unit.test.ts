/**
 * Every file of the CasaOS corpus either normalises and translates, or is
 * refused with path-qualified problems, each for a reason checked against
 * the spec:
 * - GPU reservations (`deploy.resources.reservations.devices`, spec: deploy →
 *   devices) need the NVIDIA runtime through the Engine's DeviceRequests — a
 *   host power Foyer does not hand out — so the load refuses them;
 * - `healthcheck.start_interval` (spec: healthcheck, Compose 2.20.2) needs
 *   Engine API 1.44, and the translation targets Debian bookworm's Docker
 *   20.10 (API 1.41), so it refuses it there and accepts it on 1.44.
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

/** App → the one kind of problem it is refused for. */
const EXPECTED_REFUSALS: Record<string, { path: RegExp; message: string }> = {};
const gpu = {
  path: /^services\.[^.]+\.deploy\.resources\.reservations\.devices$/,
  message: 'not supported by Foyer',
};
for (const app of [
  'DeepSeek-OCR_Nvidia',
  'Emby_Nvidia',
  'Index-TTS_Nvidia',
  'Jellyfin_Nvidia',
  'LLaMA-Factory_Nvidia',
  'Ollama_Nvidia',
  'Plex_Nvidia',
  'TurboDiffusion_Nvidia',
]) {
  EXPECTED_REFUSALS[app] = gpu;
}
EXPECTED_REFUSALS.RomM = {
  path: /^services\.romm-db\.healthcheck\.start_interval$/,
  message: 'needs Docker Engine API 1.44 or newer; this engine speaks 1.41',
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
  assert.equal(translated, 158);
});

test('the file refused for start_interval translates for an engine with API 1.44', () => {
  const romm = readCorpus().find((f) => f.app === 'RomM');
  assert.ok(romm);
  assert.deepEqual(attempt(romm, '1.44'), []);
});
