/**
 * Every file of the CasaOS corpus either normalises and translates, or is
 * refused with path-qualified problems. The refusals are the ones expected:
 * GPU reservations (`deploy.resources.reservations.devices`), which need the
 * NVIDIA container runtime through the Engine's DeviceRequests — a host
 * power Foyer does not hand out (spec: deploy → devices).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { ComposeError, loadProject, ProjectSchema, translateProject } from '../../compose/index.js';
import { readCorpus } from '../support/corpus.js';

const EXPECTED_REFUSALS = [
  'DeepSeek-OCR_Nvidia',
  'Emby_Nvidia',
  'Index-TTS_Nvidia',
  'Jellyfin_Nvidia',
  'LLaMA-Factory_Nvidia',
  'Ollama_Nvidia',
  'Plex_Nvidia',
  'TurboDiffusion_Nvidia',
];

test('the CasaOS corpus: each file normalises and translates, or is refused for a known reason', () => {
  const corpus = readCorpus();
  assert.equal(corpus.length, 167, 'the corpus holds 167 files');
  const refused: string[] = [];
  let translated = 0;
  for (const file of corpus) {
    try {
      const { project } = loadProject({ files: [file], environment: {} });
      assert.ok(Value.Check(ProjectSchema, project), `${file.app}: the model matches its schema`);
      const bodies = translateProject(project, { labels: { 'foyer.managed': 'true' } });
      assert.equal(bodies.containers.length, Object.keys(project.services).length, file.app);
      for (const container of bodies.containers)
        assert.ok(container.body.Image, `${file.app}: an image`);
      translated++;
    } catch (error) {
      if (!(error instanceof ComposeError)) throw new Error(`${file.app}: crashed: ${error}`);
      refused.push(file.app);
      for (const problem of error.problems) {
        assert.match(
          problem.path,
          /^services\.[^.]+\.deploy\.resources\.reservations\.devices$/,
          file.app,
        );
        assert.equal(problem.message, 'not supported by Foyer', file.app);
      }
    }
  }
  console.log(`corpus: ${translated} normalised and translated, ${refused.length} refused`);
  assert.deepEqual(refused, EXPECTED_REFUSALS);
  assert.equal(translated + refused.length, corpus.length);
});
