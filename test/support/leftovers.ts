// What a test file leaves on the shared engine. Core installs have fixed names (`edge`,
// `directory`), so a container or volume one file left behind makes the next file's daemon
// refuse that name as another's: removal is checked, and a file starts on a clean engine.
import type { TestEngine } from './engine.js';

const KINDS = [
  { list: ['ps', '-a'], remove: ['rm', '-f', '-v'], format: '{{.ID}} {{.Names}}' },
  { list: ['network', 'ls'], remove: ['network', 'rm'], format: '{{.ID}} {{.Name}}' },
  { list: ['volume', 'ls'], remove: ['volume', 'rm', '-f'], format: '{{.Name}} {{.Name}}' },
] as const;

/** Networks every engine has. */
const ENGINE_NETWORKS = ['bridge', 'host', 'none'];

/**
 * Containers, networks and volumes carrying `label` (every one when undefined, but for the
 * engine's own networks), as `[kind index, id, name]`.
 */
async function listObjects(
  engine: TestEngine,
  label: string | undefined,
): Promise<[number, string, string][]> {
  const found: [number, string, string][] = [];
  for (const [i, kind] of KINDS.entries()) {
    const filter = label ? ['--filter', `label=${label}`] : [];
    const { stdout } = await engine.docker([...kind.list, ...filter, '--format', kind.format]);
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [id = '', name = ''] = line.split(' ');
      if (i === 1 && ENGINE_NETWORKS.includes(name)) continue;
      found.push([i, id, name]);
    }
  }
  return found;
}

/**
 * Force-removes the containers, networks and volumes carrying `label` (e.g. `foyer.install=x`),
 * again while some remain (a removal racing a create the daemon began before it stopped), and
 * fails naming what could not be removed.
 */
export function removeLabelled(engine: TestEngine, label: string): Promise<void> {
  return removeAll(engine, label);
}

async function removeAll(engine: TestEngine, label: string | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const found = await listObjects(engine, label);
    if (found.length === 0) return;
    if (attempt === 10) {
      throw new Error(`objects with ${label ?? 'any label'} could not be removed: ${names(found)}`);
    }
    // Containers first: a network or volume in use cannot go.
    for (const [i, kind] of KINDS.entries()) {
      const ids = found.filter(([k]) => k === i).map(([, id]) => id);
      if (ids.length > 0) await engine.docker([...kind.remove, ...ids]).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

const names = (found: [number, string, string][]) => found.map(([, , name]) => name).join(', ');

/**
 * Removes what an earlier test file left on the engine, saying so (the names point at the file
 * that leaked them). On the run's private engine that is every container, volume and network
 * (an unlabelled volume holding a core install's name is a conflict too); on an engine named by
 * FOYER_TEST_DOCKER_HOST, which may be someone's own, only Foyer's objects.
 */
export async function clearLeftovers(engine: TestEngine): Promise<void> {
  const label = process.env.FOYER_TEST_PRIVATE_ENGINE === '1' ? undefined : 'foyer.managed=true';
  const found = await listObjects(engine, label);
  if (found.length === 0) return;
  process.stderr.write(
    `foyer-test: an earlier test file left these on the engine, removed now: ${names(found)}\n`,
  );
  await removeAll(engine, label);
}
