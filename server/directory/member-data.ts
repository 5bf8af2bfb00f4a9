/**
 * A member's data in the apps that take their accounts from the directory (issue 14: "remove
 * asks whether to keep or delete their mail and calendars"). An app declares where each
 * member's files live (app.yaml `memberData`: a service, one of its volumes and a path in it
 * with the `{name}` placeholder, such as mail's `members/{name}`); removing a member with
 * `--delete-data` deletes exactly those paths in every install that declares them.
 *
 * A path may also hold a setting of the install (`{setting:DOMAIN}`, a plain value the app
 * declares), one whole `*` segment standing for every folder at that depth (chat's stores),
 * and say how the values are written in file names (`encoding: prosody`, Prosody's
 * `datamanager` encoding): chat's paths are the segments `{setting:DOMAIN}`, `*` and `{name}.dat`
 * (and `{name}.list`).
 *
 * The deletion goes through the engine, not the host's filesystem: one short-lived container
 * per install and volume, of the declaring service's own image (a Debian image with `rm` and
 * `find`, there even while the app is stopped), mounting only that volume, with no network,
 * running `rm -rf -- <path>` (or, for a path with `*`, `find` with the exact path pattern at its
 * exact depth, which runs `rm`) as root with no shell, and removed when it ends. It runs after
 * the member is gone from LDAP, so no login can write new files meanwhile.
 */
import { joinPath, type Problem } from '../../compose/problems.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { Install } from '../store/index.js';
import { isValidName } from './names.js';

/**
 * How `{name}` and `{setting:…}` values are written in a path: `plain`, as they are (the
 * default), or `prosody`, as Prosody 0.12 names its files (util/datamanager.lua `encode`):
 * ASCII letters lowered as Prosody's host and node preparation does, then every byte that is
 * not a letter or a digit as `%` and two lowercase hex digits (`jo.b` → `jo%2eb`).
 */
export type MemberDataEncoding = 'plain' | 'prosody';

/** One declared place of a member's data (app.yaml `memberData[]`). */
export interface MemberDataEntry {
  service: string;
  volume: string;
  path: string;
  encoding?: MemberDataEncoding;
}

/** What a `{setting:KEY}` placeholder may name: a setting the app declares. */
export interface MemberDataSetting {
  key: string;
  type: string;
  required?: boolean;
  default?: string | number | boolean;
  secret?: unknown;
}

/** The member's name in a `memberData` path. */
export const NAME_PLACEHOLDER = '{name}';

/** A whole segment that stands for every entry at that depth. */
export const ANY_SEGMENT = '*';

/** Where the volume appears in the deleting container. */
export const MEMBER_DATA_MOUNT = '/foyer-member-data';

/** Marks the deleting containers (value: the Foyer instance), so a leftover can be found. */
export const MEMBER_DATA_LABEL = 'foyer.member-data';

// Literal characters: letters, digits and . _ - + @ % (none of them special to `find -path`).
const LITERAL = /^[A-Za-z0-9._+@%-]*$/;
const PLACEHOLDER = /\{(name|setting:([A-Za-z_][A-Za-z0-9_]*))\}/g;

/** Prosody's file-name encoding of `value` (see MemberDataEncoding). Pure. */
export function prosodyEncode(value: string): string {
  const lowered = value.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let out = '';
  for (const byte of Buffer.from(lowered, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Whether `text` holds a brace that is not part of `{name}` or `{setting:KEY}`. Pure. */
export function strayBraces(text: string): boolean {
  return /[{}]/.test(text.replace(PLACEHOLDER, ''));
}

/** The setting keys a path names (`{setting:KEY}`), in order. Pure. */
export function settingKeys(path: string): string[] {
  return [...path.matchAll(PLACEHOLDER)].flatMap((m) => (m[2] ? [m[2]] : []));
}

/**
 * Why `path` cannot be a `memberData` path, or undefined when it can. With `settings` (the
 * app's declared settings), each `{setting:KEY}` must name one with a plain value that is
 * always there (required or with a default; not a password, not generated). Pure.
 */
export function memberDataPathProblem(
  path: string,
  settings?: readonly MemberDataSetting[],
): string | undefined {
  if (path.startsWith('/')) return 'must be relative to the volume (no leading "/")';
  if (!path.includes(NAME_PLACEHOLDER)) return `must hold ${NAME_PLACEHOLDER}`;
  if (strayBraces(path)) return `may hold no placeholder but ${NAME_PLACEHOLDER} and {setting:KEY}`;
  const segments = path.split('/');
  let star = -1;
  for (const [i, segment] of segments.entries()) {
    if (segment === '') return 'must not have an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'must not have "." or ".." segments';
    if (segment === ANY_SEGMENT) {
      if (star >= 0) return `may have only one "${ANY_SEGMENT}" segment`;
      star = i;
      continue;
    }
    if (segment.includes(ANY_SEGMENT)) {
      return `"${segment}": "${ANY_SEGMENT}" must be a whole segment`;
    }
    if (!LITERAL.test(segment.replace(PLACEHOLDER, ''))) {
      return `"${segment}" may hold only letters, digits, ".", "_", "-", "+", "@", "%", ${NAME_PLACEHOLDER} and {setting:KEY}`;
    }
  }
  if (star >= 0 && !segments.slice(star + 1).some((s) => s.includes(NAME_PLACEHOLDER))) {
    return `must hold ${NAME_PLACEHOLDER} in a segment after "${ANY_SEGMENT}"`;
  }
  if (settings) {
    for (const key of settingKeys(path)) {
      const why = settingPlaceholderProblem(key, settings);
      if (why) return why;
    }
  }
  return undefined;
}

/**
 * Why `{setting:KEY}` cannot be filled in from the app's `settings`, or undefined when it can:
 * it must name a setting with a plain value that is always there (required or with a default;
 * not a password, not generated). Pure.
 */
export function settingPlaceholderProblem(
  key: string,
  settings: readonly MemberDataSetting[],
): string | undefined {
  const setting = settings.find((s) => s.key === key);
  if (!setting) return `{setting:${key}} names no setting of the app`;
  if (setting.type === 'password' || setting.secret) {
    return `{setting:${key}} is a secret, not a plain value a path can hold`;
  }
  if (!setting.required && (setting.default === undefined || setting.default === '')) {
    return `{setting:${key}} must be required or have a default, so the path always has it`;
  }
  return undefined;
}

/**
 * Each entry's path checked (against the app's `settings`), and each place declared once;
 * paths are `memberData[i].…`.
 */
export function memberDataProblems(
  entries: MemberDataEntry[],
  settings: readonly MemberDataSetting[] = [],
): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const at = (field: string) => joinPath(joinPath('memberData', i), field);
    const why = memberDataPathProblem(entry.path, settings);
    if (why) problems.push({ path: at('path'), message: why });
    const key = `${entry.volume}\0${entry.path}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: at('path'), message: `is already memberData[${first}]` });
    } else seen.set(key, i);
  });
  return problems;
}

/** How a path is made: the encoding of its values and the install's settings' values. */
export interface MemberDataPathOptions {
  encoding?: MemberDataEncoding;
  /** The install's settings' values (each `{setting:KEY}` must have one). */
  settings?: Record<string, string>;
}

/**
 * The path of `name`'s data in the volume (with a `*` segment kept as it is). Member names
 * are checked when they are made (names.ts); this refuses again anything that could leave the
 * member's own place, and a setting whose value is missing or could.
 */
export function memberDataPath(
  template: string,
  name: string,
  options: MemberDataPathOptions = {},
): string {
  if (!isValidName(name) || name.includes('/') || name.includes('..')) {
    throw new Error(`"${name}" is not a member name a data path can be made of`);
  }
  const why = memberDataPathProblem(template);
  if (why) throw new Error(`memberData path "${template}" ${why}`);
  return fillPlaceholders(template, name, options, `memberData path "${template}"`);
}

/**
 * `template` with `{name}` and each `{setting:KEY}` filled in (encoded as `options` says), for
 * a name already checked. Each value must be made only of literal characters (letters, digits
 * and . _ - + @ %), never "." or "..": it stays inside its path segment, and it can be quoted
 * in a command's argument (no quote, space or backslash). `what` names the template in errors.
 */
export function fillPlaceholders(
  template: string,
  name: string,
  options: MemberDataPathOptions,
  what: string,
): string {
  const encode = options.encoding === 'prosody' ? prosodyEncode : (value: string) => value;
  return template.replace(PLACEHOLDER, (_, __, key: string | undefined) => {
    if (key === undefined) return encode(name);
    const value = options.settings?.[key];
    if (value === undefined || value === '') {
      throw new Error(`${what}: the install has no value for ${key}`);
    }
    const made = encode(value);
    if (!LITERAL.test(made) || made === '.' || made === '..') {
      throw new Error(`${what}: ${key}'s value "${value}" could leave the member's place`);
    }
    return made;
  });
}

/** One place to delete: an install's volume (engine name) and the member's path in it. */
export interface MemberDataTarget {
  install: string;
  service: string;
  /** The volume's key in the app's compose.yaml. */
  volume: string;
  /** The engine's volume name, `<install>_<volume>`. */
  engineVolume: string;
  path: string;
}

/** An install whose app declares member data: its declarations and its settings' values. */
export interface MemberDataInstall {
  id: string;
  memberData?: MemberDataEntry[];
  /** The install's settings' values, the declared defaults filled in. */
  settings?: Record<string, string>;
}

/** The installs whose pinned app.yaml declares member data, with their declarations. */
export function memberDataInstalls(
  installs: Install[],
  pins: Pick<PinnedDefinitions, 'of'>,
): (MemberDataInstall & { memberData: MemberDataEntry[] })[] {
  return installs.flatMap((install) => {
    const manifest = pins.of(install)?.manifest;
    if (manifest?.accounts !== 'directory' || !manifest.memberData) return [];
    return [
      {
        id: install.id,
        memberData: manifest.memberData,
        settings: settingValues(install, manifest),
      },
    ];
  });
}

/** An install's settings' values, the app's declared defaults filled in. Pure. */
export function settingValues(
  install: Pick<Install, 'settings'>,
  manifest: { settings?: readonly MemberDataSetting[] },
): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const setting of manifest.settings ?? []) {
    if (setting.default !== undefined) settings[setting.key] = String(setting.default);
  }
  for (const [key, value] of Object.entries(install.settings ?? {})) {
    if (value !== '') settings[key] = value;
  }
  return settings;
}

/** Every place `name`'s data lives in the given installs (those whose app declares some). */
export function memberDataTargets(installs: MemberDataInstall[], name: string): MemberDataTarget[] {
  return installs.flatMap((install) =>
    (install.memberData ?? []).map((entry) => ({
      install: install.id,
      service: entry.service,
      volume: entry.volume,
      engineVolume: `${install.id}_${entry.volume}`,
      path: memberDataPath(entry.path, name, {
        encoding: entry.encoding,
        settings: install.settings,
      }),
    })),
  );
}

/**
 * The deleting container's command for a made path (run in the volume's mount, no shell):
 * `rm -rf -- <path>`; for a path with a `*` segment, `find` from the mount at exactly the
 * path's depth, matching the whole path (its literal parts hold nothing `find` expands) and
 * the last segment's exact name, running `rm` on what it finds. Pure.
 */
export function deleteCommand(path: string): string[] {
  const segments = path.split('/');
  if (!segments.includes(ANY_SEGMENT)) return ['rm', '-rf', '--', path];
  const depth = String(segments.length);
  return [
    'find',
    '.',
    '-mindepth',
    depth,
    '-maxdepth',
    depth,
    '-path',
    `./${path}`,
    '-name',
    segments.at(-1) ?? '',
    '-exec',
    'rm',
    '-rf',
    '--',
    '{}',
    '+',
  ];
}

/** What a deletion did: the places deleted (or never there) and those that failed, with why. */
export interface MemberDataOutcome {
  deleted: MemberDataTarget[];
  failed: (MemberDataTarget & { error: string })[];
}

export interface MemberDataDeps {
  docker: DockerAdapter;
  /** This Foyer's instance id (labels). */
  instance: string;
  /** How long one deleting container may run (ms); default 120 s. */
  timeoutMs?: number;
}

/** Deletes every target; a failure is recorded and the others still go. */
export async function deleteMemberData(
  deps: MemberDataDeps,
  targets: MemberDataTarget[],
): Promise<MemberDataOutcome> {
  const outcome: MemberDataOutcome = { deleted: [], failed: [] };
  for (const target of targets) {
    try {
      await deleteOne(deps, target);
      outcome.deleted.push(target);
    } catch (error) {
      outcome.failed.push({ ...target, error: (error as Error).message });
    }
  }
  return outcome;
}

/** The deleting container's name for an install (one at a time per install). */
export const deleterName = (install: string) => `foyer-member-data-${install}`;

async function deleteOne(deps: MemberDataDeps, target: MemberDataTarget): Promise<void> {
  const { docker } = deps;
  // A volume that is not there holds nothing; mounting it would make an unlabelled one.
  if (!(await docker.inspectLabels('volume', target.engineVolume))) return;
  const container = `${target.install}-${target.service}-1`;
  const details = await docker.inspectContainer(container);
  if (!details) {
    throw new Error(
      `${container} does not exist, so its image is unknown; start ${target.install} once and try again`,
    );
  }
  const image = await docker.inspectImage(details.imageId);
  if (!image) throw new Error(`the image of ${container} is gone`);
  // The image's own labels would make the container look like one of the install's.
  const labels: Record<string, string> = {};
  for (const key of Object.keys(image.labels)) {
    if (key.startsWith('foyer.') || key.startsWith('com.docker.compose.')) labels[key] = '';
  }
  labels[MEMBER_DATA_LABEL] = deps.instance;
  const name = deleterName(target.install);
  await docker.removeContainer(name, true);
  await docker.createContainer(name, {
    Image: details.imageId,
    // No shell: the path is one argument, relative to the mount, checked by memberDataPath.
    Entrypoint: deleteCommand(target.path),
    Cmd: [],
    User: '0:0',
    WorkingDir: MEMBER_DATA_MOUNT,
    Labels: labels,
    Healthcheck: { Test: ['NONE'] },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'volume', Source: target.engineVolume, Target: MEMBER_DATA_MOUNT }],
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'no' },
    },
  });
  try {
    await docker.startContainer(name);
    const exitCode = await exited(docker, name, deps.timeoutMs ?? 120_000);
    if (exitCode !== 0) {
      const lines: string[] = [];
      for await (const line of docker.logs(name, { tail: 5 })) lines.push(line.text);
      throw new Error(
        `${deleteCommand(target.path)[0]} exited with ${exitCode}: ${lines.join('; ') || 'no output'}`,
      );
    }
  } finally {
    await docker.removeContainer(name, true).catch(() => {});
  }
}

async function exited(docker: DockerAdapter, name: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await docker.inspectContainer(name);
    if (!details) throw new Error('the deleting container vanished');
    if (!details.state.running && details.state.status !== 'created') {
      return details.state.exitCode;
    }
    if (Date.now() > deadline)
      throw new Error(`the deletion took longer than ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
