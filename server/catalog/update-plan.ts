/**
 * What an update changes (issue 17): the version, each service's image, the
 * permissions asked anew or no longer needed, the settings that appear or
 * go. Pure: the route reads both definitions and hands in what it read, so
 * the UI's "what changes" panel and the CLI's summary come from one place.
 */

/** One definition as an update compares it. */
export interface DefinitionFacts {
  version: string | null;
  /** Service name → the image it runs: a reference, or `built here from <Dockerfile> (<hash>)`. */
  images: Record<string, string>;
  /** Permissions the definition declares (normalised). */
  permissions: string[];
  /** Keys of the settings a person can set (generated secrets excluded). */
  settings: string[];
}

export interface ImageChange {
  service: string;
  /** null: the service is new. */
  from: string | null;
  /** null: the service goes away. */
  to: string | null;
}

export interface DefinitionChanges {
  from: string | null;
  to: string | null;
  images: ImageChange[];
  permissions: {
    /** Declared by the new definition and not accepted for this install: asked anew. */
    added: string[];
    /** Accepted for this install and no longer declared: dropped by the update. */
    removed: string[];
  };
  settings: { added: string[]; removed: string[] };
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The changes from the pinned definition (with the permissions the install accepted) to `next`. */
export function diffDefinitions(
  current: DefinitionFacts,
  accepted: string[],
  next: DefinitionFacts,
): DefinitionChanges {
  const services = sorted([...Object.keys(current.images), ...Object.keys(next.images)]);
  const images = services
    .map((service) => ({
      service,
      from: current.images[service] ?? null,
      to: next.images[service] ?? null,
    }))
    .filter((change) => change.from !== change.to);
  const had = new Set(current.settings);
  const has = new Set(next.settings);
  return {
    from: current.version,
    to: next.version,
    images,
    permissions: {
      added: sorted(next.permissions.filter((p) => !accepted.includes(p))),
      removed: sorted(accepted.filter((p) => !next.permissions.includes(p))),
    },
    settings: {
      added: sorted(next.settings.filter((k) => !had.has(k))),
      removed: sorted(current.settings.filter((k) => !has.has(k))),
    },
  };
}
