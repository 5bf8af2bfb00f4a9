/**
 * A member's data in the apps that take their accounts from the directory (issue 14: "remove
 * asks whether to keep or delete their mail and calendars"). An app declares where each
 * member's files live (app.yaml `memberData`: a service, one of its volumes and a path in it
 * with the `{name}` placeholder, such as mail's `members/{name}`); removing a member with
 * `--delete-data` deletes exactly those paths in every install that declares them.
 *
 * The deletion goes through the engine, not the host's filesystem: one short-lived container
 * per install and volume, of the declaring service's own image (a Debian image with `rm`, there
 * even while the app is stopped), mounting only that volume, with no network, running
 * `rm -rf -- <path>` as root and removed when it ends. It runs after the member is gone from
 * LDAP, so no login can write new files meanwhile.
 */
import { joinPath, type Problem } from '../../compose/problems.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { Install } from '../store/index.js';
import { isValidName } from './names.js';

/** One declared place of a member's data (app.yaml `memberData[]`). */
export interface MemberDataEntry {
  service: string;
  volume: string;
  path: string;
}

/** The only placeholder a `memberData` path may hold. */
export const NAME_PLACEHOLDER = '{name}';

/** Where the volume appears in the deleting container. */
export const MEMBER_DATA_MOUNT = '/foyer-member-data';

/** Marks the deleting containers (value: the Foyer instance), so a leftover can be found. */
export const MEMBER_DATA_LABEL = 'foyer.member-data';

// Literal segments: letters, digits and . _ - + @ %; `{name}` may stand in for all or part.
const SEGMENT = /^(?:[A-Za-z0-9._+@%-]|\{name\})+$/;

/** Why `path` cannot be a `memberData` path, or undefined when it can. Pure. */
export function memberDataPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'must be relative to the volume (no leading "/")';
  if (!path.includes(NAME_PLACEHOLDER)) return `must hold ${NAME_PLACEHOLDER}`;
  const other = path.replaceAll(NAME_PLACEHOLDER, '').match(/[{}]/);
  if (other) return `may hold no placeholder but ${NAME_PLACEHOLDER}`;
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not have an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'must not have "." or ".." segments';
    if (!SEGMENT.test(segment)) {
      return `"${segment}" may hold only letters, digits, ".", "_", "-", "+", "@", "%" and ${NAME_PLACEHOLDER}`;
    }
  }
  return undefined;
}

/** Each entry's path checked, and each place declared once; paths are `memberData[i].…`. */
export function memberDataProblems(entries: MemberDataEntry[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const at = (field: string) => joinPath(joinPath('memberData', i), field);
    const why = memberDataPathProblem(entry.path);
    if (why) problems.push({ path: at('path'), message: why });
    const key = `${entry.volume}\0${entry.path}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: at('path'), message: `is already memberData[${first}]` });
    } else seen.set(key, i);
  });
  return problems;
}

/**
 * The path of `name`'s data in the volume. Member names are checked when they are made
 * (names.ts); this refuses again anything that could leave the member's own place.
 */
export function memberDataPath(template: string, name: string): string {
  if (!isValidName(name) || name.includes('/') || name.includes('..')) {
    throw new Error(`"${name}" is not a member name a data path can be made of`);
  }
  const why = memberDataPathProblem(template);
  if (why) throw new Error(`memberData path "${template}" ${why}`);
  return template.replaceAll(NAME_PLACEHOLDER, name);
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

/** The installs whose pinned app.yaml declares member data, with their declarations. */
export function memberDataInstalls(
  installs: Install[],
  pins: Pick<PinnedDefinitions, 'of'>,
): { id: string; memberData: MemberDataEntry[] }[] {
  return installs.flatMap((install) => {
    const manifest = pins.of(install)?.manifest;
    if (manifest?.accounts !== 'directory' || !manifest.memberData) return [];
    return [{ id: install.id, memberData: manifest.memberData }];
  });
}

/** Every place `name`'s data lives in the given installs (those whose app declares some). */
export function memberDataTargets(
  installs: { id: string; memberData?: MemberDataEntry[] }[],
  name: string,
): MemberDataTarget[] {
  return installs.flatMap((install) =>
    (install.memberData ?? []).map((entry) => ({
      install: install.id,
      service: entry.service,
      volume: entry.volume,
      engineVolume: `${install.id}_${entry.volume}`,
      path: memberDataPath(entry.path, name),
    })),
  );
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
    Entrypoint: ['rm', '-rf', '--', target.path],
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
      throw new Error(`rm exited with ${exitCode}: ${lines.join('; ') || 'no output'}`);
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
    if (Date.now() > deadline) throw new Error(`rm took longer than ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
