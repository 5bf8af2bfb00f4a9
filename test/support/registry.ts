// A real registry on loopback for pull tests: Debian's docker-registry, with its storage in a
// temp folder, no auth, on 127.0.0.1 (which Docker treats as an insecure registry by default).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ensureHostTools } from './host-tools.js';
import { freePort } from './ports.js';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, the prefix of image references in this registry. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts a registry, stopped by an after() hook of the current test or file: call it at the top
 * of a file or inside a test, not inside a before() hook (there it was found stopped before the
 * file's tests ran).
 */
export async function startRegistry(
  options: { stopAfterTests?: boolean } = {},
): Promise<TestRegistry> {
  await ensureHostTools();
  const dir = mkdtempSync(join(tmpdir(), 'foyer-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${address}/v2/`);
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start on ${address}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const registry: TestRegistry = {
    address,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Benchmark scripts are not tests: they stop it themselves.
  if (options.stopAfterTests !== false) after(() => registry.stop());
  return registry;
}
