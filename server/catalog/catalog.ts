/**
 * The catalogue: folders of apps, each with `app.yaml` and a Compose file
 * (DESIGN.md "Catalogue"). Reading one app throws a ComposeError with every
 * problem; listing the catalogue never throws for one broken app, so one bad
 * entry cannot hide the others.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ComposeError, type Problem } from '../../compose/problems.js';
import { type AppManifest, parseManifest } from './manifest.js';

/** One app folder, read and validated. */
export interface AppFolder {
  /** Absolute path of the app's folder. */
  dir: string;
  manifest: AppManifest;
  /** Absolute path of its Compose file. */
  composePath: string;
  composeContent: string;
}

/** An app the catalogue offers. */
export type CatalogEntry = AppFolder;

/** Compose's own default names, in its order of preference (spec: Compose file). */
const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** Reads and validates one app folder; throws ComposeError listing every problem. */
export function readAppFolder(dir: string): AppFolder {
  const folder = resolve(dir);
  const problems: Problem[] = [];
  let manifest: AppManifest | undefined;
  const manifestText = readText(join(folder, 'app.yaml'), 'app.yaml', problems);
  if (manifestText !== undefined) {
    const parsed = parseManifest(manifestText);
    problems.push(...parsed.problems);
    manifest = parsed.manifest;
  }
  const name = COMPOSE_NAMES.find((file) => existsSync(join(folder, file)));
  if (name === undefined) problems.push({ path: 'compose.yaml', message: 'not found' });
  const composePath = join(folder, name ?? COMPOSE_NAMES[0]!);
  const composeContent = name === undefined ? undefined : readText(composePath, name, problems);
  if (problems.length > 0 || manifest === undefined || composeContent === undefined) {
    throw new ComposeError(problems);
  }
  return { dir: folder, manifest, composePath, composeContent };
}

/** Reads a file as UTF-8, or records why it cannot be read. */
function readText(path: string, label: string, problems: Problem[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      path: label,
      message: code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(error)})`,
    });
    return undefined;
  }
}

/**
 * Every app in the given catalogue folders, in folder order then by name.
 * An id seen twice is a problem and the first one wins, so an extra folder
 * (FOYER_CATALOG) cannot silently replace a built-in app.
 */
export function listCatalog(dirs: string[]): { apps: CatalogEntry[]; problems: Problem[] } {
  const apps: CatalogEntry[] = [];
  const problems: Problem[] = [];
  const byId = new Map<string, string>();
  for (const catalogDir of dirs) {
    for (const appDir of appFolders(resolve(catalogDir), problems)) {
      const app = readEntry(appDir, problems);
      if (!app) continue;
      const first = byId.get(app.manifest.id);
      if (first !== undefined) {
        problems.push({
          path: `${join(appDir, 'app.yaml')}: id`,
          message: `"${app.manifest.id}" is already the id of ${first}; this one is ignored`,
        });
        continue;
      }
      byId.set(app.manifest.id, appDir);
      apps.push(app);
    }
  }
  return { apps, problems };
}

/** Subfolders holding an app.yaml, by name; hidden folders (`.git`) are skipped. */
function appFolders(catalogDir: string, problems: Problem[]): string[] {
  let names: string[];
  try {
    names = readdirSync(catalogDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({ path: catalogDir, message: `catalogue folder cannot be read (${code})` });
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(catalogDir, name))
    .filter((dir) => isDirectory(dir) && existsSync(join(dir, 'app.yaml')));
}

/** Follows symlinks: a catalogue may link apps in from elsewhere. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** One app, or its problems with paths made absolute so the admin can find the file. */
function readEntry(appDir: string, problems: Problem[]): CatalogEntry | undefined {
  try {
    return readAppFolder(appDir);
  } catch (error) {
    if (!(error instanceof ComposeError)) {
      problems.push({ path: appDir, message: error instanceof Error ? error.message : `${error}` });
      return undefined;
    }
    for (const problem of error.problems) {
      problems.push({ path: `${appDir}/${problem.path}`, message: problem.message });
    }
    return undefined;
  }
}
