/**
 * The engines check (issue 11 §5): every installed package must run on the Node.js this
 * project promises (the floor of `engines.node` in package.json) and on the Node.js running
 * now. npm only warns (EBADENGINE) when a package needs a newer Node, and a warning in a long
 * `npm ci` log goes unread; `npm test` runs this so CI fails instead.
 *
 *   node --import tsx scripts/check-engines.ts
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

export interface EngineProblem {
  /** `name@version` of the package. */
  pkg: string;
  /** Its folder, relative to the project, so nested copies can be told apart. */
  path: string;
  /** Its `engines.node`. */
  needs: string;
  /** What it does not accept: the project's floor, the running Node, or both. */
  excludes: string[];
}

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Every installed package folder under `modules`, nested `node_modules` included. */
function* packageDirs(modules: string): Generator<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(modules, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(modules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(dir, { withFileTypes: true })) {
        if (!scoped.isDirectory()) continue;
        yield join(dir, scoped.name);
        yield* packageDirs(join(dir, scoped.name, 'node_modules'));
      }
      continue;
    }
    yield dir;
    yield* packageDirs(join(dir, 'node_modules'));
  }
}

/** The lowest Node.js version a range accepts: the project's promise to its users. */
export function floorOf(range: string): string {
  const floor = semver.minVersion(range);
  if (!floor) throw new Error(`engines.node "${range}" accepts no version`);
  return floor.version;
}

/**
 * The installed packages under `root/node_modules` whose `engines.node` excludes `floor` (the
 * lowest Node the project supports) or `running` (the Node running the check).
 */
export function engineProblems(root: string, floor: string, running: string): EngineProblem[] {
  const problems: EngineProblem[] = [];
  for (const dir of packageDirs(join(root, 'node_modules'))) {
    const manifest = readManifest(dir);
    const needs = manifest?.engines?.node;
    if (!manifest || typeof needs !== 'string' || !semver.validRange(needs)) continue;
    const excludes: string[] = [];
    if (!semver.satisfies(floor, needs)) excludes.push(`the supported floor ${floor}`);
    if (running !== floor && !semver.satisfies(running, needs))
      excludes.push(`the running Node ${running}`);
    if (excludes.length === 0) continue;
    problems.push({
      pkg: `${manifest.name}@${manifest.version}`,
      path: relative(root, dir),
      needs,
      excludes,
    });
  }
  return problems;
}

function main(): number {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const range = readManifest(root)?.engines?.node;
  if (!range) {
    process.stderr.write('check-engines: package.json has no engines.node\n');
    return 1;
  }
  const floor = floorOf(range);
  const running = process.versions.node;
  const problems = engineProblems(root, floor, running);
  if (!semver.satisfies(running, range)) {
    process.stderr.write(
      `check-engines: this is Node ${running}; package.json asks for ${range}\n`,
    );
    return 1;
  }
  for (const p of problems) {
    process.stderr.write(
      `check-engines: ${p.pkg} (${p.path}) needs Node ${p.needs}, which excludes ${p.excludes.join(' and ')}\n`,
    );
  }
  if (problems.length > 0) {
    process.stderr.write(
      `check-engines: pin versions that run on Node ${range} (package.json "overrides") or raise engines.node\n`,
    );
    return 1;
  }
  process.stdout.write(`check-engines: every package runs on Node ${range} (and ${running})\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main();
