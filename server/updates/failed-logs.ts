/**
 * The failed version's logs (issue 15): before a rollback removes the new
 * version's containers, their last log lines are saved in
 * `$FOYER_DATA_DIR/update-logs/<install>/<job>/<service>.log`, so whoever
 * looks at the failed update later can see why it did not come up.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerAdapter } from '../docker/adapter.js';
import { instanceFilter } from '../reconcile/desired.js';

/** How many lines of each container are kept. */
const TAIL = 200;

export function failedLogsDir(dataDir: string, install: string, job: string): string {
  return join(dataDir, 'update-logs', install, job);
}

/** Saves the last lines of each of the install's containers; returns the folder. */
export async function saveFailedLogs(
  docker: DockerAdapter,
  install: string,
  instance: string | undefined,
  dir: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const containers = await docker.listContainers([
    `foyer.install=${install}`,
    instanceFilter(instance),
  ]);
  for (const container of containers) {
    const service = container.labels['com.docker.compose.service'] ?? container.name;
    let text = '';
    try {
      for await (const line of docker.logs(container.name, { tail: TAIL, timestamps: true }))
        text += line.text.endsWith('\n') ? line.text : `${line.text}\n`;
    } catch (error) {
      text += `(the logs could not be read: ${(error as Error).message})\n`;
    }
    writeFileSync(join(dir, `${service}.log`), text, { mode: 0o600 });
  }
  return dir;
}

/** The saved logs, by service, each cut to its last `lines` lines. */
export function readFailedLogs(dir: string, lines = 50): Record<string, string[]> {
  const logs: Record<string, string[]> = {};
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  } catch {
    return logs;
  }
  for (const file of files.sort()) {
    const text = readFileSync(join(dir, file), 'utf8').trimEnd();
    logs[file.slice(0, -'.log'.length)] = text === '' ? [] : text.split('\n').slice(-lines);
  }
  return logs;
}
