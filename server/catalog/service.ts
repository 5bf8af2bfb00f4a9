/**
 * The catalogue as the daemon serves it: every app of the configured folders
 * (Foyer's own `catalog/` first, then `FOYER_CATALOG` folders), read once at
 * start and on `reload()`. Broken apps are reported, never fatal.
 */
import type { Problem } from '../../compose/index.js';
import { type CatalogEntry, listCatalog } from './catalog.js';

export interface Catalog {
  list(): CatalogEntry[];
  get(id: string): CatalogEntry | undefined;
  problems(): Problem[];
  reload(): void;
}

/** Reads the catalogue folders now; `reload()` reads them again. */
export function createCatalog(dirs: string[]): Catalog {
  let apps = new Map<string, CatalogEntry>();
  let problems: Problem[] = [];
  const reload = () => {
    const result = listCatalog(dirs);
    apps = new Map(result.apps.map((a) => [a.manifest.id, a]));
    problems = result.problems;
  };
  reload();
  return {
    list: () => [...apps.values()],
    get: (id) => apps.get(id),
    problems: () => problems,
    reload,
  };
}
