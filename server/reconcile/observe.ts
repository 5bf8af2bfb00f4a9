/**
 * Observe: one snapshot of what the engine holds for Foyer — one labelled
 * container list plus the network and volume lists, three calls whatever the
 * number of installs (DESIGN: "observe: ONE labelled container list").
 * Images are looked up only when a plan needs one that is not known yet.
 */
import type { ContainerSummary, DockerAdapter } from '../docker/adapter.js';
import type { ObservedState } from './types.js';

export type Snapshot = Omit<ObservedState, 'images'>;

/**
 * The images Foyer built for one install (its labels and a build hash) that no container
 * outside the install uses — any container of the engine, Foyer's or not: what a purge may
 * remove. Two more list calls, made only for an install being purged.
 */
export async function observeBuiltImages(
  docker: DockerAdapter,
  install: string,
  mine: string,
  own: ContainerSummary[],
): Promise<NonNullable<ObservedState['builtImages']>> {
  const labels = [mine, `foyer.install=${install}`, 'foyer.build-hash'];
  const [images, containers] = await Promise.all([
    docker.listImages(labels),
    docker.listContainers([]),
  ]);
  const ownIds = new Set(own.map((c) => c.id));
  const used = new Set(containers.filter((c) => !ownIds.has(c.id)).map((c) => c.imageId));
  return images
    .filter((image) => !used.has(image.id))
    .map((image) => ({
      id: image.id,
      name: image.tags[0] ?? image.id.replace(/^sha256:/, '').slice(0, 12),
    }));
}

/** Everything of one install. */
export async function observeInstall(
  docker: DockerAdapter,
  install: string,
  mine: string,
): Promise<Snapshot> {
  const labels = [mine, `foyer.install=${install}`];
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers(labels),
    docker.listNetworks(labels),
    docker.listVolumes(labels),
  ]);
  return { containers, networks, volumes };
}

/** Everything Foyer manages, grouped by install id. */
export async function observeAll(
  docker: DockerAdapter,
  mine: string,
): Promise<Map<string, Snapshot>> {
  const labels = [mine];
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers(labels),
    docker.listNetworks(labels),
    docker.listVolumes(labels),
  ]);
  const byInstall = new Map<string, Snapshot>();
  const slot = (labelsOf: Record<string, string>): Snapshot | undefined => {
    const id = labelsOf['foyer.install'];
    if (!id) return undefined;
    let snapshot = byInstall.get(id);
    if (!snapshot) {
      snapshot = { containers: [], networks: [], volumes: [] };
      byInstall.set(id, snapshot);
    }
    return snapshot;
  };
  for (const c of containers) slot(c.labels)?.containers.push(c);
  for (const n of networks) slot(n.labels)?.networks.push(n);
  for (const v of volumes) slot(v.labels)?.volumes.push(v);
  return byInstall;
}
