// What a test file leaves on the shared engine. Core installs have fixed names (`edge`,
// `directory`), so a container one file left behind makes the next file's daemon refuse that
// name as another Foyer's: removal is checked, and a file starts on an engine without Foyer's
// objects.
import type { TestEngine } from './engine.js';

const KINDS = [
  { list: ['ps', '-a'], remove: ['rm', '-f', '-v'], format: '{{.ID}} {{.Names}}' },
  { list: ['network', 'ls'], remove: ['network', 'rm'], format: '{{.ID}} {{.Name}}' },
  { list: ['volume', 'ls'], remove: ['volume', 'rm', '-f'], format: '{{.Name}} {{.Name}}' },
] as const;

/** Containers, networks and volumes carrying `label`, as `[kind index, id, name]`. */
async function labelled(engine: TestEngine, label: string): Promise<[number, string, string][]> {
  const found: [number, string, string][] = [];
  for (const [i, kind] of KINDS.entries()) {
    const { stdout } = await engine.docker([
      ...kind.list,
      '--filter',
      `label=${label}`,
      '--format',
      kind.format,
    ]);
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [id = '', name = ''] = line.split(' ');
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
export async function removeLabelled(engine: TestEngine, label: string): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const found = await labelled(engine, label);
    if (found.length === 0) return;
    last = found.map(([, , name]) => name).join(', ');
    // Containers first: a network or volume in use cannot go.
    for (const [i, kind] of KINDS.entries()) {
      const ids = found.filter(([k]) => k === i).map(([, id]) => id);
      if (ids.length > 0) await engine.docker([...kind.remove, ...ids]).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  const found = await labelled(engine, label);
  if (found.length > 0) throw new Error(`objects with ${label} could not be removed: ${last}`);
}

/**
 * Removes whatever Foyer objects an earlier test file left on the engine, saying so: the file
 * that leaked them is named by the objects' install and instance labels in the message.
 */
export async function clearLeftovers(engine: TestEngine): Promise<void> {
  const found = await labelled(engine, 'foyer.managed=true');
  if (found.length === 0) return;
  process.stderr.write(
    `foyer-test: an earlier test file left Foyer objects on the engine, removed now: ${found
      .map(([, , name]) => name)
      .join(', ')}\n`,
  );
  await removeLabelled(engine, 'foyer.managed=true');
}
