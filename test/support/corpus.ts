/**
 * The CasaOS corpus: 167 real compose files from another app store, kept in
 * the shared folder beside the repository (`../shared/corpus/casaos`).
 * `FOYER_CORPUS` points elsewhere. Missing files fail loudly: a test that
 * reads nothing proves nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One corpus entry: the app's folder name and its compose file. */
export interface CorpusFile {
  app: string;
  path: string;
  content: string;
}

/** Reads every corpus file, sorted by app name; throws when the corpus is absent. */
export function readCorpus(): CorpusFile[] {
  const root = process.env.FOYER_CORPUS ?? resolve(repoRoot, '../shared/corpus/casaos');
  if (!existsSync(root)) {
    throw new Error(`the CasaOS corpus is missing at ${root}; set FOYER_CORPUS to its folder`);
  }
  return readdirSync(root)
    .sort()
    .flatMap((app) => {
      const folder = join(root, app);
      const name = [
        'docker-compose.yml',
        'docker-compose.yaml',
        'compose.yaml',
        'compose.yml',
      ].find((f) => existsSync(join(folder, f)));
      if (!name) return [];
      const path = join(folder, name);
      return [{ app, path, content: readFileSync(path, 'utf8') }];
    });
}
