/**
 * `foyer adopt <install>` (issue 12 §2): take over the objects a lost Foyer
 * left for an install of the same app — after a dead SD card or a reinstall
 * the engine still holds its containers, networks and, above all, volumes
 * with the data. The plan reads every object the install's names point at
 * and refuses, before anything changes, objects of a Foyer whose presence
 * lease is fresh (it still runs), of another app, of a Compose project or of
 * nobody, unless each is named in `force`. Then: the old containers go (the
 * data is in the volumes), the volumes are taken over — volumes first, the
 * data never copied, only moved within the engine's folder — and the old
 * networks go; the reconciler then creates containers and networks under
 * this instance as for any install.
 *
 * A volume's labels cannot change, so taking one over means: its data folder
 * is moved aside (a rename, instant and atomic on one filesystem), the old
 * volume removed, a new one of the same name made with this Foyer's labels,
 * and the data moved into it. Each step can be run again after a crash: a
 * folder moved aside is found and put into place on the next adopt.
 */
import { existsSync, readdirSync, renameSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DockerAdapter, ObjectDetails } from '../docker/adapter.js';
import { type Owner, ownerOf } from './ownership.js';
import { isPresent } from './presence.js';
import type { DesiredState } from './types.js';

/** One object the install's names point at that this Foyer does not own. */
export interface ForeignObject {
  kind: 'container' | 'network' | 'volume';
  name: string;
  owner: Owner;
  /** For another Foyer's object: whether that Foyer renewed its presence lease lately. */
  live?: boolean;
  /** Why it is not taken without --force naming it; undefined when it may be. */
  refusal?: string;
}

export interface AdoptionPlan {
  install: string;
  objects: ForeignObject[];
}

/** The objects of `desired` this Foyer does not own, each with its owner and any refusal. */
export async function planAdoption(
  docker: DockerAdapter,
  desired: DesiredState,
  ctx: { instance: string; app: string; force: string[]; now?: number },
): Promise<AdoptionPlan> {
  const wanted: { kind: ForeignObject['kind']; name: string }[] = [
    ...desired.services.flatMap((s) => [
      { kind: 'container' as const, name: s.containerName },
      { kind: 'container' as const, name: `${s.containerName}-next` },
    ]),
    ...desired.volumes.map((v) => ({ kind: 'volume' as const, name: v.name })),
    ...desired.networks.map((n) => ({ kind: 'network' as const, name: n.name })),
  ];
  const objects: ForeignObject[] = [];
  const liveness = new Map<string, boolean>();
  for (const { kind, name } of wanted) {
    const labels =
      kind === 'container'
        ? (await docker.inspectContainer(name))?.labels
        : (await docker.inspectLabels(kind, name))?.labels;
    if (labels === undefined) continue;
    const owner = ownerOf(labels, ctx.instance);
    if (owner.kind === 'this-foyer') continue;
    const object: ForeignObject = { kind, name, owner };
    if (owner.kind === 'other-foyer' && owner.instance) {
      if (!liveness.has(owner.instance))
        liveness.set(owner.instance, await isPresent(docker, owner.instance, ctx.now));
      object.live = liveness.get(owner.instance);
    }
    if (!ctx.force.includes(name)) object.refusal = refusal(owner, object.live, ctx.app);
    objects.push(object);
  }
  return { install: desired.install, objects };
}

function refusal(owner: Owner, live: boolean | undefined, app: string): string | undefined {
  switch (owner.kind) {
    case 'other-foyer':
      if (owner.app && owner.app !== app) return `it holds the app "${owner.app}", not "${app}"`;
      if (live)
        return `the Foyer ${owner.instance} that owns it still runs (its presence lease is fresh)`;
      return undefined;
    case 'compose':
      return `it belongs to the Compose project "${owner.project}"`;
    case 'unlabelled':
      return "it is not Foyer's";
    default:
      return undefined;
  }
}

/** Takes the plan's objects over: containers removed, volumes taken over, networks removed. */
export async function adopt(
  docker: DockerAdapter,
  plan: AdoptionPlan,
  desired: DesiredState,
): Promise<void> {
  const refused = plan.objects.filter((o) => o.refusal);
  if (refused.length > 0) throw new Error(`refused: ${refused.map((o) => o.name).join(', ')}`);
  for (const o of plan.objects.filter((o) => o.kind === 'container')) {
    await docker.stopContainer(o.name, 10);
    await docker.removeContainer(o.name, true);
  }
  for (const o of plan.objects.filter((o) => o.kind === 'volume')) {
    const body = desired.volumes.find((v) => v.name === o.name)!.body;
    await takeOverVolume(docker, o.name, body);
  }
  // Volumes moved aside by an adopt that crashed are put into place too.
  for (const v of desired.volumes) {
    if (!plan.objects.some((o) => o.name === v.name)) await finishVolume(docker, v.name, v.body);
  }
  for (const o of plan.objects.filter((o) => o.kind === 'network')) {
    await docker.removeNetwork(o.name);
  }
}

/** Where a volume's data waits while its volume is made again: beside the engine's volumes. */
function asideOf(mountpoint: string, name: string): string {
  return join(dirname(dirname(mountpoint)), `.foyer-adopt-${name}`);
}

/** Checks the engine keeps this volume's data in a folder of this machine that can be moved. */
function movable(name: string, details: ObjectDetails): string {
  const mountpoint = details.mountpoint;
  if (details.driver !== 'local' || Object.keys(details.options ?? {}).length > 0)
    throw new Error(
      `volume "${name}" uses the ${details.driver} driver with options; adopt moves only plain local volumes`,
    );
  if (!mountpoint || !existsSync(mountpoint))
    throw new Error(
      `the data of volume "${name}" is at ${mountpoint}, which this machine cannot reach; ` +
        'adopt needs the Docker engine on the same machine as Foyer',
    );
  return mountpoint;
}

async function takeOverVolume(
  docker: DockerAdapter,
  name: string,
  body: Record<string, unknown>,
): Promise<void> {
  const details = await docker.inspectLabels('volume', name);
  if (!details) return finishVolume(docker, name, body);
  const mountpoint = movable(name, details);
  const aside = asideOf(mountpoint, name);
  if (!existsSync(aside)) renameSync(mountpoint, aside);
  await docker.removeVolume(name);
  await finishVolume(docker, name, body);
}

/** Makes the volume as this Foyer's and puts data left aside into it. */
async function finishVolume(
  docker: DockerAdapter,
  name: string,
  body: Record<string, unknown>,
): Promise<void> {
  const existing = await docker.inspectLabels('volume', name);
  const guess = existing?.mountpoint;
  if (!existing) await docker.createVolume(body);
  const details = await docker.inspectLabels('volume', name);
  const mountpoint = details?.mountpoint ?? guess;
  if (!mountpoint) return;
  const aside = asideOf(mountpoint, name);
  if (!existsSync(aside)) return;
  // The new volume's folder is empty (nothing has used it yet); the data takes its place.
  if (existsSync(mountpoint)) {
    if (readdirSync(mountpoint).length > 0)
      throw new Error(`volume "${name}" is not empty; its old data waits in ${aside}`);
    rmdirSync(mountpoint);
  }
  renameSync(aside, mountpoint);
}
