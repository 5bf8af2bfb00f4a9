/**
 * The image cache Foyer leaves behind (issue 11 §5): every app built on the
 * box leaves an image per install, and every update a dangling older one.
 * `foyer images prune` removes the images Foyer built (this instance's
 * labels) that nothing needs: not used by any container of the engine, and
 * not the current build of an install that still exists. Images Foyer
 * pulled or did not make are never touched.
 */
import {
  ConflictError,
  type ContainerSummary,
  type DockerAdapter,
  type ImageSummary,
} from '../docker/adapter.js';

export interface PrunedImage {
  id: string;
  tags: string[];
  install?: string;
}

/** Pure: which of Foyer's built images nothing needs. */
export function unusedBuiltImages(
  images: ImageSummary[],
  containers: ContainerSummary[],
  installs: ReadonlySet<string>,
): ImageSummary[] {
  const used = new Set(containers.map((c) => c.imageId));
  return images.filter((image) => {
    if (!image.labels['foyer.build-hash'] || used.has(image.id)) return false;
    // Tagged and its install is still there: the build the install runs from next time.
    const install = image.labels['foyer.install'];
    return image.tags.length === 0 || install === undefined || !installs.has(install);
  });
}

/**
 * Removes Foyer's unused built images; returns what went. An image a container took up in
 * the meantime stays (the engine refuses, never forced).
 */
export async function pruneBuiltImages(
  docker: DockerAdapter,
  mine: string,
  installs: ReadonlySet<string>,
): Promise<PrunedImage[]> {
  const [images, containers] = await Promise.all([
    docker.listImages([mine, 'foyer.build-hash']),
    docker.listContainers([]),
  ]);
  const removed: PrunedImage[] = [];
  for (const image of unusedBuiltImages(images, containers, installs)) {
    try {
      await docker.removeImage(image.id);
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
    const install = image.labels['foyer.install'];
    removed.push({ id: image.id, tags: image.tags, ...(install ? { install } : {}) });
  }
  return removed;
}
