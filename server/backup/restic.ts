/**
 * Runs restic: spawned with an argument array (no shell ever sees a name), the password in
 * its environment only, stdout read line by line for `--json` progress. A failure carries
 * restic's own words (`wrong password or no key found`, `connection refused`, …).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Repository } from './repository.js';
import { type ResticPaths, repositoryArgs, resticEnv } from './restic-args.js';
import { resticMessage } from './restic-json.js';

/** restic failed; `message` is what it said, `code` its exit code. */
export class ResticError extends Error {
  override name = 'ResticError';
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface ResticRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ResticCall {
  repo: Repository;
  password: string;
  paths: ResticPaths;
  args: string[];
  /** Called for each stdout line; stdout is then not kept. */
  onLine?: (line: string) => void;
  /** Exit codes that are not failures (3: some files unreadable, the snapshot still made). */
  okCodes?: number[];
  signal?: AbortSignal;
}

/** The program to run; FOYER_RESTIC for another build, else `restic` on PATH. */
const program = () => process.env.FOYER_RESTIC || 'restic';

/**
 * restic dies with the daemon: one left running after the daemon is killed would hold its
 * repository lock past the next start's `restic unlock`, then die on its broken pipe and leave
 * the lock behind. util-linux's setpriv (in every Debian) sets the parent-death signal.
 */
const SETPRIV = '/usr/bin/setpriv';
function command(argv: string[]): [string, string[]] {
  if (!existsSync(SETPRIV)) return [program(), argv];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', program(), ...argv]];
}
/** setpriv's words when it cannot start the program (exit 127). */
const NOT_FOUND = /failed to execute|No such file or directory/;
const MISSING = 'restic is not installed on this machine; install it with: apt-get install restic';

/** Runs one restic command; throws ResticError unless its exit code is fine. */
export function restic(call: ResticCall): Promise<ResticRun> {
  const argv = [...repositoryArgs(call.repo, call.paths), ...call.args];
  return new Promise((resolve, reject) => {
    const [file, args] = command(argv);
    const child = spawn(file, args, {
      env: resticEnv(call.password),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: call.signal,
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!call.onLine) {
        stdout += chunk;
        return;
      }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) call.onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // restic may repeat a warning per file: keep the tail, which has the verdict.
      stderr = (stderr + chunk).slice(-64 * 1024);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new ResticError(MISSING, null, ''));
      else reject(error);
    });
    child.on('close', (code) => {
      if (pending.trim()) call.onLine?.(pending);
      const exit = code ?? -1;
      if (exit === 0 || call.okCodes?.includes(exit)) resolve({ code: exit, stdout, stderr });
      else if (exit === 127 && NOT_FOUND.test(stderr)) reject(new ResticError(MISSING, null, ''));
      else reject(new ResticError(resticMessage(stderr), code, stderr));
    });
  });
}
