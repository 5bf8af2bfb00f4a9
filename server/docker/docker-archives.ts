/**
 * The tar archives Foyer sends to the engine: a build context streamed from a
 * folder, and the generated files copied into a container before it starts.
 * tar-fs and tar-stream are loaded on first use, like dockerode.
 */
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type * as TarFs from 'tar-fs';
import type * as TarStream from 'tar-stream';
import type { ContainerFile } from '../../compose/index.js';

const requireHere = createRequire(import.meta.url);

/** A folder as a tar stream, read as the engine consumes it (never held in memory whole). */
export function contextArchive(folder: string): NodeJS.ReadableStream {
  const tarFs = requireHere('tar-fs') as typeof TarFs;
  // A streamx Readable; its typings lack a few methods of Node's (isPaused, unpipe, wrap) that
  // docker-modem's pipe() never calls.
  return tarFs.pack(folder) as unknown as NodeJS.ReadableStream;
}

/**
 * The files as one tar archive to unpack at `/`. Parent folders get no entries of their own:
 * the engine chowns and chmods a folder that an entry names even when it exists (an entry for
 * `etc/` would hand /etc to the file's owner), and it creates missing parents itself, owned by
 * root with mode 0755 — as Compose relies on for configs and secrets with inline content.
 */
export async function filesArchive(files: ContainerFile[], now = new Date()): Promise<Buffer> {
  // tar-stream is tar-fs's own dependency: resolved from tar-fs, wherever npm placed it.
  const fromTarFs = createRequire(requireHere.resolve('tar-fs'));
  const tarStream = fromTarFs('tar-stream') as typeof TarStream;
  const pack = tarStream.pack();
  for (const file of files) {
    const content = Buffer.from(file.content, 'utf8');
    pack.entry(
      {
        name: archivePath(file.path),
        type: 'file',
        mode: file.mode & 0o7777,
        uid: numericId(file.uid),
        gid: numericId(file.gid),
        size: content.length,
        mtime: now,
      },
      content,
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A container path as an archive member name: normalised, relative to `/`. */
export function archivePath(path: string): string {
  const name = posix.normalize(`/${path}`).replace(/^\/+/, '');
  if (name === '' || name.endsWith('/')) throw new Error(`not a file path: "${path}"`);
  return name;
}

// The archive carries numeric ids only; a name (as Compose allows for uid/gid) would need
// the container's /etc/passwd, so it falls back to root.
function numericId(id: string | undefined): number {
  return id !== undefined && /^\d+$/.test(id) ? Number(id) : 0;
}
