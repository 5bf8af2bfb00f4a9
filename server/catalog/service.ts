/**
 * The catalogue as the daemon serves it: every app of the configured folders
 * (Foyer's own `catalog/` first, then `FOYER_CATALOG` folders), read once at
 * start and on `reload()`. Broken apps are reported, never fatal. Reading or
 * reloading the catalogue never changes an install: installs render from
 * their pinned copies (issue 17); the catalogue only offers updates.
 */
import type { Problem } from '../../compose/index.js';
import { type CatalogEntry, listCatalog } from './catalog.js';
import { hashFolder } from './definitions.js';

export interface Catalog {
  /** The store: every app a person may install (core services are not among them). */
  list(): CatalogEntry[];
  /** An app of the store; undefined for a core service. */
  get(id: string): CatalogEntry | undefined;
  /** A core service's entry (`core: true` in app.yaml), which only Foyer installs. */
  core(id: string): CatalogEntry | undefined;
  problems(): Problem[];
  /** The content hash pinning the app's folder would give now (what an update would pin). */
  definitionHash(id: string): string | undefined;
  reload(): void;
}

/** Reads the catalogue folders now; `reload()` reads them again. */
export function createCatalog(dirs: string[]): Catalog {
  let apps = new Map<string, CatalogEntry>();
  let problems: Problem[] = [];
  let hashes = new Map<string, string>();
  const reload = () => {
    const result = listCatalog(dirs);
    apps = new Map(result.apps.map((a) => [a.manifest.id, a]));
    problems = result.problems;
    hashes = new Map();
  };
  reload();
  return {
    list: () => [...apps.values()].filter((a) => !a.manifest.core),
    get: (id) => {
      const entry = apps.get(id);
      return entry?.manifest.core ? undefined : entry;
    },
    core: (id) => {
      const entry = apps.get(id);
      return entry?.manifest.core ? entry : undefined;
    },
    problems: () => problems,
    definitionHash(id) {
      const entry = apps.get(id);
      if (!entry) return undefined;
      let hash = hashes.get(id);
      if (hash === undefined) {
        try {
          hash = hashFolder(entry.dir);
        } catch {
          return undefined;
        }
        hashes.set(id, hash);
      }
      return hash;
    },
    reload,
  };
}
