/**
 * Admission by resources (issue 12 §4): an app whose declared memory or disk
 * (app.yaml `requirements`) does not fit what the host has free is refused
 * unless the request overrides it. The figures are the ones `GET /api/host`
 * shows, so the UI, the CLI and the refusal never disagree.
 */
import { statfsSync } from 'node:fs';
import { freemem } from 'node:os';
import type { Problem } from '../../compose/index.js';
import { parseBytes } from '../../compose/units.js';
import type { DockerAdapter } from '../docker/adapter.js';
import { formatBytes } from './bytes.js';

/** What the host has free: available memory, and free disk where the engine keeps its data. */
export interface FreeResources {
  memory: number;
  disk: { path: string; free: number; total: number };
}

/** What an app declares it needs, as app.yaml writes it (`512m`, `2g`, bytes). */
export interface Requirements {
  memory?: string | number;
  disk?: string | number;
}

/**
 * Free memory (the kernel's MemAvailable: free plus reclaimable cache) and the free disk of the
 * engine's data root, where images and volumes go; the data dir when the root cannot be read
 * (a remote engine, a daemon in a container).
 */
export async function freeResources(
  docker: Pick<DockerAdapter, 'info'>,
  dataDir: string,
): Promise<FreeResources> {
  const root = await docker.info().then(
    (info) => info.dockerRootDir,
    () => undefined,
  );
  const disk = [root, dataDir].flatMap((path) => {
    if (!path) return [];
    try {
      const fs = statfsSync(path);
      return [{ path, total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize }];
    } catch {
      return [];
    }
  })[0] ?? { path: dataDir, total: 0, free: 0 };
  return { memory: freemem(), disk };
}

/** The requirements that do not fit, one path-qualified problem each (none: it fits). */
export function requirementProblems(needs: Requirements, free: FreeResources): Problem[] {
  const problems: Problem[] = [];
  const check = (field: 'memory' | 'disk', have: number, what: string) => {
    const raw = needs[field];
    if (raw === undefined) return;
    const need = parseBytes(raw);
    if (need <= have) return;
    problems.push({
      path: `requirements.${field}`,
      message: `the app needs ${formatBytes(need)}, ${formatBytes(have)} ${what}`,
    });
  };
  check('memory', free.memory, 'of memory are free');
  check('disk', free.disk.free, `are free on ${free.disk.path}`);
  return problems;
}
