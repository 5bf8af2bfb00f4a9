// The Docker engine a test file talks to: the one named by FOYER_TEST_DOCKER_HOST (set by
// scripts/run-tests.mjs for a whole run), or else a private engine for this file alone.
import { constants } from 'node:os';
import { run } from './exec.js';
import { ensureTestImages } from './images.js';
import { clearLeftovers } from './leftovers.js';
import { startPrivateEngine } from './private-engine.js';

export interface TestEngine {
  /** The engine's address as a DOCKER_HOST value, e.g. unix:///tmp/foyer-engine-x/docker.sock. */
  host: string;
  /** Path of the engine's unix socket, for API clients. */
  socketPath: string;
  /** Runs the docker CLI against this engine; rejects with its stderr when it fails. */
  docker(args: string[]): Promise<{ stdout: string; stderr: string }>;
}

let current: Promise<TestEngine> | undefined;

/** Wraps a running engine, given as a unix:// DOCKER_HOST value, in the TestEngine API. */
export function engineAt(host: string): TestEngine {
  if (!host.startsWith('unix://')) {
    throw new Error(`FOYER_TEST_DOCKER_HOST must be a unix:// socket address, not ${host}`);
  }
  const env = { ...process.env };
  // -H decides; a context or TLS settings from the caller's shell must not interfere.
  for (const name of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) {
    delete env[name];
  }
  return {
    host,
    socketPath: host.slice('unix://'.length),
    docker: async (args) => {
      const { stdout, stderr } = await run('docker', ['-H', host, ...args], { env });
      return { stdout, stderr };
    },
  };
}

/**
 * Returns the engine for this test file, with the test images built. Without
 * FOYER_TEST_DOCKER_HOST it starts a private engine for this process, stopped once every test
 * and hook of the file has run.
 */
export function useTestEngine(): Promise<TestEngine> {
  current ??= open().catch((e: unknown) => {
    current = undefined;
    throw e;
  });
  return current;
}

async function open(): Promise<TestEngine> {
  const host = process.env.FOYER_TEST_DOCKER_HOST;
  if (host) {
    const engine = engineAt(host);
    await ensureTestImages(engine);
    // The engine is shared by the run's files, one after another: this one starts clean.
    await clearLeftovers(engine);
    return engine;
  }
  const privateEngine = await startPrivateEngine();
  const stop = async () => {
    current = undefined;
    await privateEngine.stop();
  };
  // Not an after() hook: root after() hooks run in the order they were registered, so ours
  // would stop the engine before the file's own after() hooks could remove their containers.
  // beforeExit comes once the tests, every hook and the report are done.
  process.once('beforeExit', () => {
    stop().catch((e: Error) => {
      process.stderr.write(`foyer-test: ${e.message}\n`);
      process.exitCode = 1;
    });
  });
  // An interrupted test process still removes its engine before exiting.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      stop().finally(() => process.exit(128 + constants.signals[sig]));
    });
  }
  const engine = engineAt(privateEngine.host);
  try {
    await ensureTestImages(engine);
  } catch (e) {
    await stop();
    throw e;
  }
  return engine;
}
