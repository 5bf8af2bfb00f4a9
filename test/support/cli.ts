// The `foyer` CLI and `foyer serve` as a person runs them, for Docker-tier tests: the real bin
// (compiled code: run `npm run build` first) against a daemon's data dir, a daemon started and
// waited for, and the engine cleaned of what one Foyer instance made.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestEngine } from './engine.js';
import { type DaemonProcess, eventually, spawnDaemon } from './foyer.js';

const bin = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'bin/foyer.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `foyer <args>` against the daemon of `dataDir`, never a FOYER_URL from the caller's shell. */
export function runFoyer(dataDir: string, ...args: string[]): Promise<CliRun> {
  return runFoyerWithInput(dataDir, '', ...args);
}

/** As runFoyer, with `input` on standard input (`--password-stdin`). */
export function runFoyerWithInput(
  dataDir: string,
  input: string,
  ...args: string[]
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, FOYER_DATA_DIR: dataDir };
  delete env.FOYER_URL;
  delete env.FOYER_TOKEN;
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env, timeout: 300_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** Starts `foyer serve` on `dataDir` and resolves once it says it is running. */
export async function serveFoyer(
  engine: TestEngine,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<DaemonProcess> {
  const daemon = spawnDaemon(engine, dataDir, env);
  await eventually(
    'foyer serve to start',
    () => {
      if (daemon.child.exitCode !== null) throw new Error(`serve exited: ${daemon.output()}`);
      return daemon.output().includes('Foyer is running at');
    },
    60_000,
  );
  return daemon;
}

/** Force-removes the containers, networks and volumes carrying `label` (e.g. `foyer.install=x`). */
export async function removeLabelled(engine: TestEngine, label: string): Promise<void> {
  const ids = async (args: string[]) =>
    (await engine.docker(args).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
  const containers = await ids(['ps', '-aq', '--filter', `label=${label}`]);
  if (containers.length > 0) await engine.docker(['rm', '-f', ...containers]).catch(() => {});
  const networks = await ids(['network', 'ls', '-q', '--filter', `label=${label}`]);
  if (networks.length > 0) await engine.docker(['network', 'rm', ...networks]).catch(() => {});
  const volumes = await ids(['volume', 'ls', '-q', '--filter', `label=${label}`]);
  if (volumes.length > 0) await engine.docker(['volume', 'rm', ...volumes]).catch(() => {});
}
