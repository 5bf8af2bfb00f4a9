/**
 * Pinned definitions (issue 17): the app folder an install was installed or
 * updated from, copied into the data dir and named by the hash of its
 * content. Rendering reads only this copy, so a catalogue that changes (a new
 * Foyer with a newer built-in catalogue, an edited store, an app dropped)
 * never changes a running install; `update` moves the pin, rollback moves it
 * back (DESIGN.md "How a change flows").
 *
 * A copy is immutable once renamed into place: it is written under a
 * temporary name and renamed, so a crash never leaves half a definition
 * under a hash name.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Where the pinned copies live. */
export function definitionsDir(dataDir: string): string {
  return join(dataDir, 'definitions');
}

/** The folder of one pinned copy. */
export function definitionDir(dataDir: string, hash: string): string {
  if (!DEFINITION_HASH.test(hash)) throw new Error(`"${hash}" is not a definition hash`);
  return join(definitionsDir(dataDir), hash);
}

/** A definition is named by the SHA-256 of its files. */
export const DEFINITION_HASH = /^[0-9a-f]{64}$/;

interface FileEntry {
  path: string;
  mode: number;
  content: Buffer;
}

/** Hidden version-control folders are not part of an app. */
const SKIPPED = new Set(['.git', '.hg', '.svn']);

/** Every file under `dir`, sorted by relative path, symlinks followed. */
function readTree(dir: string): FileEntry[] {
  const files: FileEntry[] = [];
  const walk = (folder: string) => {
    const names = readdirSync(folder).sort();
    for (const name of names) {
      if (SKIPPED.has(name)) continue;
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile())
        files.push({
          path: relative(dir, path),
          mode: stat.mode & 0o777,
          content: readFileSync(path),
        });
    }
  };
  walk(dir);
  return files;
}

/** The content hash of a folder: each file's relative path, mode and bytes. */
export function hashTree(files: FileEntry[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.path}\0${file.mode.toString(8)}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}

/** The content hash of an app folder as it is now (what pinning it would name it). */
export function hashFolder(dir: string): string {
  return hashTree(readTree(dir));
}

/**
 * Copies an app folder into the definitions and returns its hash. Copying the
 * same content twice gives the same hash and one copy.
 */
export function pinFolder(dataDir: string, dir: string): string {
  const files = readTree(dir);
  const hash = hashTree(files);
  const target = definitionDir(dataDir, hash);
  if (existsSync(target)) return hash;
  const root = definitionsDir(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const temp = join(root, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(temp, { mode: 0o755 });
    for (const file of files) {
      const path = join(temp, file.path);
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      writeFileSync(path, file.content, { mode: file.mode });
      // The umask must not change the mode: it is part of the hash and of the build context.
      chmodSync(path, file.mode);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    // Another pin of the same content won the rename: the copy is there, which is all we need.
    if (existsSync(target)) return hash;
    throw error;
  }
  return hash;
}

/** Removes copies no install refers to, and temporary folders a crash left; returns how many. */
export function pruneDefinitions(dataDir: string, keep: ReadonlySet<string>): number {
  const root = definitionsDir(dataDir);
  if (!existsSync(root)) return 0;
  let removed = 0;
  for (const name of readdirSync(root)) {
    const stale = name.startsWith('.tmp-') || (DEFINITION_HASH.test(name) && !keep.has(name));
    if (!stale) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}
