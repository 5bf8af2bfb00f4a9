/**
 * Service `volumes` in short (`SOURCE:TARGET[:MODE]`) and long syntax,
 * normalised to long-form mounts (spec: services → volumes). Relative bind
 * sources are made absolute against the project folder; `~` uses `home`.
 */
import { posix } from 'node:path';
import type { Mount } from './model.js';
import { type Diagnostics, joinPath } from './problems.js';
import { checkKeys, isMap, type RawMap, readBoolean, readList, readString } from './raw.js';
import { parseBytes } from './units.js';

const LONG_KEYS = new Set([
  'type',
  'source',
  'target',
  'read_only',
  'bind',
  'volume',
  'tmpfs',
  'consistency',
]);
const UNSUPPORTED_TYPES = new Set(['image', 'npipe', 'cluster']);
const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
/**
 * Docker Desktop's file-sharing hints (`SRC:DST:cached`, `ro,delegated`). Linux ignores them and
 * so does Compose's short-syntax parser, which keeps nothing of them in the model.
 */
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated', 'default']);

/** Where relative paths and `~` resolve (spec: volumes short syntax note). */
export interface PathContext {
  workingDir: string;
  home?: string;
}

/** True when a short-syntax source is a host path rather than a volume name. */
function isHostPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

/** Makes a host path absolute: `./data` against the project folder, `~/x` against home. */
export function resolveHostPath(source: string, ctx: PathContext): string {
  if (source === '~' || source.startsWith('~/')) {
    if (!ctx.home) throw new Error(`cannot resolve "~" in "${source}": HOME is not set`);
    return posix.join(ctx.home, source.slice(1));
  }
  return posix.resolve(ctx.workingDir, source);
}

function parseShort(text: string, ctx: PathContext): Mount {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new Error(`invalid volume "${text}": expected SOURCE:TARGET[:MODE]`);
  }
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, modeText] = parts as [string, string, string | undefined];
  if (!target.startsWith('/')) throw new Error(`target "${target}" must be an absolute path`);
  const mount: Mount = isHostPath(source)
    ? {
        type: 'bind',
        source: resolveHostPath(source, ctx),
        target,
        bind: { create_host_path: true },
      }
    : { type: 'volume', source, target, volume: {} };
  for (const option of modeText ? modeText.split(',') : []) {
    if (option === 'ro') mount.read_only = true;
    else if (option === 'rw' || CONSISTENCY.has(option)) continue;
    else if (option === 'z' || option === 'Z') mount.bind = { ...mount.bind, selinux: option };
    else if (option === 'nocopy' && mount.type === 'volume') mount.volume = { nocopy: true };
    else if (PROPAGATION.has(option) && mount.type === 'bind') {
      mount.bind = { ...mount.bind, propagation: option };
    } else throw new Error(`unknown volume mode "${option}" in "${text}"`);
  }
  return mount;
}

function readLong(
  map: RawMap,
  path: string,
  diag: Diagnostics,
  ctx: PathContext,
): Mount | undefined {
  checkKeys(map, path, diag, LONG_KEYS);
  const type = readString(map.type, joinPath(path, 'type'), diag);
  const target = readString(map.target, joinPath(path, 'target'), diag);
  if (type === undefined || target === undefined) return undefined;
  if (UNSUPPORTED_TYPES.has(type)) {
    diag.error(joinPath(path, 'type'), `mount type "${type}" is not supported by Foyer`);
    return undefined;
  }
  if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') {
    diag.error(joinPath(path, 'type'), 'must be one of volume, bind, tmpfs');
    return undefined;
  }
  const mount: Mount = { type, target };
  if (map.source !== undefined && map.source !== null) {
    const source = readString(map.source, joinPath(path, 'source'), diag);
    if (source !== undefined && type === 'bind') {
      try {
        mount.source = resolveHostPath(source, ctx);
      } catch (error) {
        diag.error(joinPath(path, 'source'), (error as Error).message);
      }
    } else if (source !== undefined && type === 'tmpfs') {
      diag.error(joinPath(path, 'source'), 'a tmpfs mount has no source');
    } else if (source !== undefined) mount.source = source;
  } else if (type === 'bind') diag.error(joinPath(path, 'source'), 'a bind mount needs a source');
  if (map.read_only !== undefined) {
    mount.read_only = readBoolean(map.read_only, joinPath(path, 'read_only'), diag);
  }
  if (map.consistency !== undefined) {
    // Platform-specific values (spec): kept for `compose config`, never sent to a Linux engine.
    mount.consistency = readString(map.consistency, joinPath(path, 'consistency'), diag);
  }
  readOptions(map, path, diag, mount);
  return mount;
}

function readOptions(map: RawMap, path: string, diag: Diagnostics, mount: Mount): void {
  const section = (key: 'bind' | 'volume' | 'tmpfs', keys: string[]): RawMap | undefined => {
    if (map[key] === undefined) return undefined;
    const sectionPath = joinPath(path, key);
    if (mount.type !== key) diag.error(sectionPath, `only applies to a ${key} mount`);
    if (!isMap(map[key])) {
      diag.error(sectionPath, 'must be a mapping');
      return undefined;
    }
    checkKeys(map[key], sectionPath, diag, new Set(keys));
    return map[key];
  };
  const bind = section('bind', ['propagation', 'create_host_path', 'selinux']);
  if (bind) {
    mount.bind = {};
    const p = joinPath(path, 'bind');
    if (bind.propagation !== undefined) {
      const propagation = readString(bind.propagation, joinPath(p, 'propagation'), diag);
      if (propagation !== undefined && !PROPAGATION.has(propagation)) {
        diag.error(joinPath(p, 'propagation'), `unknown propagation "${propagation}"`);
      } else mount.bind.propagation = propagation;
    }
    if (bind.create_host_path !== undefined) {
      mount.bind.create_host_path = readBoolean(
        bind.create_host_path,
        joinPath(p, 'create_host_path'),
        diag,
      );
    }
    if (bind.selinux !== undefined) {
      if (bind.selinux === 'z' || bind.selinux === 'Z') mount.bind.selinux = bind.selinux;
      else diag.error(joinPath(p, 'selinux'), 'must be "z" or "Z"');
    }
  }
  const volume = section('volume', ['nocopy', 'subpath']);
  if (volume) {
    const p = joinPath(path, 'volume');
    mount.volume = {};
    if (volume.nocopy !== undefined)
      mount.volume.nocopy = readBoolean(volume.nocopy, joinPath(p, 'nocopy'), diag);
    if (volume.subpath !== undefined)
      mount.volume.subpath = readString(volume.subpath, joinPath(p, 'subpath'), diag);
  }
  const tmpfs = section('tmpfs', ['size', 'mode']);
  if (tmpfs) {
    const p = joinPath(path, 'tmpfs');
    mount.tmpfs = {};
    try {
      if (tmpfs.size !== undefined) mount.tmpfs.size = parseBytes(tmpfs.size as string | number);
    } catch (error) {
      diag.error(joinPath(p, 'size'), (error as Error).message);
    }
    if (tmpfs.mode !== undefined) {
      const mode = typeof tmpfs.mode === 'string' ? Number.parseInt(tmpfs.mode, 8) : tmpfs.mode;
      if (typeof mode === 'number' && Number.isInteger(mode)) mount.tmpfs.mode = mode;
      else diag.error(joinPath(p, 'mode'), 'must be an octal file mode');
    }
  }
  if (mount.type === 'volume' && !mount.volume && mount.source) mount.volume = {};
}

/** Normalises a service's `volumes` list; bind sources come back absolute. */
export function readMounts(
  value: unknown,
  path: string,
  diag: Diagnostics,
  ctx: PathContext,
): Mount[] {
  const list = readList(value, path, diag) ?? [];
  const out: Mount[] = [];
  list.forEach((item, i) => {
    const itemPath = joinPath(path, i);
    if (isMap(item)) {
      const mount = readLong(item, itemPath, diag, ctx);
      if (mount) out.push(mount);
      return;
    }
    if (typeof item !== 'string') {
      diag.error(itemPath, 'must be a "SOURCE:TARGET[:MODE]" string or a mapping');
      return;
    }
    try {
      out.push(parseShort(item, ctx));
    } catch (error) {
      diag.error(itemPath, (error as Error).message);
    }
  });
  return out;
}
