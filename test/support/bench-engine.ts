// The engine a benchmark script runs on: FOYER_TEST_DOCKER_HOST, else a private engine that
// the script stops at the end (scripts are not tests, so no node:test hooks here).
import { engineAt, type TestEngine } from './engine.js';
import { ensureTestImages } from './images.js';
import { startPrivateEngine } from './private-engine.js';

/** The engine for the run with the test images built, and how to stop it if it was started here. */
export async function openBenchEngine(): Promise<{
  engine: TestEngine;
  stop: () => Promise<void>;
}> {
  const host = process.env.FOYER_TEST_DOCKER_HOST;
  if (host) {
    const engine = engineAt(host);
    await ensureTestImages(engine);
    return { engine, stop: async () => {} };
  }
  const privateEngine = await startPrivateEngine();
  const engine = engineAt(privateEngine.host);
  await ensureTestImages(engine).catch(async (error) => {
    await privateEngine.stop();
    throw error;
  });
  return { engine, stop: () => privateEngine.stop() };
}
