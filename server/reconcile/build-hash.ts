/**
 * The content hash of a build: Dockerfile name, args, target and every file
 * of the context (path, mode, bytes), so an image is rebuilt exactly when
 * what it is built from changes. Stored on the image as `foyer.build-hash`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Build } from '../../compose/index.js';
import { canonicalJson } from '../../compose/index.js';

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** SHA-256 over the build's settings and its context folder's files. */
export function hashBuildContext(build: Build): string {
  const hash = createHash('sha256');
  hash.update(
    canonicalJson({ dockerfile: build.dockerfile, args: build.args, target: build.target ?? null }),
  );
  for (const path of walk(build.context)) {
    const stat = statSync(path);
    hash.update(`\0${relative(build.context, path)}\0${stat.mode & 0o777}\0`);
    hash.update(stat.isFile() ? readFileSync(path) : '');
  }
  return hash.digest('hex');
}
