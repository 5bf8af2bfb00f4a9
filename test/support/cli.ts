// The `foyer` CLI and `foyer serve` as a person runs them, for Docker-tier tests: the real bin
// (compiled code: run `npm run build` first) against a daemon's data dir, a daemon started and
// waited for, and the engine cleaned of what one Foyer instance made.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestEngine } from './engine.js';
import { type DaemonProcess, eventually, spawnDaemon } from './foyer.js';

export { removeLabelled } from './leftovers.js';

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
    // A CLI that ends before reading its input (most verbs never do) closes the pipe: the
    // EPIPE is no failure of the test, which judges the exit code and output.
    child.stdin?.on('error', () => undefined);
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

/**
 * What a test prints when a wait on a daemon runs out: every install's state and last error as
 * `foyer status` reports them, the engine's containers with the Foyer instance owning each (an
 * earlier test's leftover holding a core install's name shows here), and the daemon's last lines.
 */
export async function explainDaemon(
  engine: TestEngine,
  dataDir: string,
  daemon?: { output(): string },
): Promise<string> {
  const status = await runFoyer(dataDir, 'status', '--json');
  const installs = (() => {
    try {
      return (JSON.parse(status.stdout) as Record<string, unknown>[])
        .map((i) => JSON.stringify({ id: i.id, desired: i.desired, status: i.status }))
        .join('\n');
    } catch {
      return `foyer status: ${status.code} ${status.stderr}`;
    }
  })();
  const format = '{{.Names}} {{.Status}} instance={{.Label "foyer.instance"}}';
  const containers = await engine
    .docker(['ps', '-a', '--format', format])
    .then((r) => r.stdout.trim())
    .catch((e) => `docker ps: ${e}`);
  const tail = daemon ? daemon.output().split('\n').slice(-40).join('\n') : '';
  return [
    `-- installs (foyer status):\n${installs}`,
    `-- containers on the engine:\n${containers}`,
    ...(tail ? [`-- the daemon's last lines:\n${tail}`] : []),
  ].join('\n');
}
