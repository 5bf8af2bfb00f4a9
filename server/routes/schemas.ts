/**
 * Response schemas shared by the routes, in TypeBox: what the OpenAPI
 * document shows and what Fastify serialises (fields not in a schema are
 * never sent — a second guard against leaking secrets).
 */
import { Type as T } from '@sinclair/typebox';

export const ErrorReply = T.Object({
  code: T.String(),
  statusCode: T.Integer(),
  message: T.String(),
  problems: T.Optional(T.Array(T.Object({ path: T.String(), message: T.String() }))),
});

export const ServiceStatusReply = T.Object({
  name: T.String(),
  state: T.String(),
  health: T.Optional(T.String()),
  restarts: T.Integer(),
  healthRestarts: T.Integer(),
  exitCode: T.Optional(T.Integer()),
  reason: T.Optional(T.String()),
  /** Ports published on the host: `ip` is the address bound (`0.0.0.0`, `::`, `127.0.0.1`). */
  ports: T.Optional(
    T.Array(
      T.Object({
        container: T.Integer(),
        host: T.Integer(),
        ip: T.String(),
        protocol: T.String(),
      }),
    ),
  ),
});

export const StatusReply = T.Object({
  state: T.String(),
  reason: T.Optional(T.String()),
  services: T.Array(ServiceStatusReply),
});

export const JobReply = T.Object({
  id: T.String(),
  kind: T.String(),
  installId: T.Union([T.String(), T.Null()]),
  state: T.String(),
  step: T.Union([T.String(), T.Null()]),
  error: T.Union([T.String(), T.Null()]),
  actor: T.String(),
  createdAt: T.String(),
  updatedAt: T.String(),
  finishedAt: T.Union([T.String(), T.Null()]),
});

export const Problems = T.Array(T.Object({ path: T.String(), message: T.String() }));

export const PackageUpdateReply = T.Object({
  name: T.String(),
  from: T.String(),
  to: T.String(),
  security: T.Boolean(),
});

export const InstallReply = T.Object({
  id: T.String(),
  app: T.String(),
  /** The app's version in the install's pinned definition: what it runs (issue 17). */
  version: T.Union([T.String(), T.Null()]),
  /** The version the catalogue offers, present only when its definition differs from the pin. */
  available: T.Optional(T.String()),
  /** Newer Debian packages for the images built here, present only when there are some (issue 15). */
  debianUpdates: T.Optional(T.Array(PackageUpdateReply)),
  /**
   * Where the app stands in the catalogue: `listed`; `removed` (the install keeps running from
   * its pinned copy); `invalid` (its folder is broken: `catalogProblems` say how).
   */
  catalog: T.Union([T.Literal('listed'), T.Literal('removed'), T.Literal('invalid')]),
  catalogProblems: T.Optional(Problems),
  /** Settings a person entered, without passwords; generated secrets are never here. Empty for members. */
  settings: T.Record(T.String(), T.String()),
  /** Empty for members. */
  acceptedPermissions: T.Array(T.String()),
  desired: T.String(),
  /** The app's web entry (app.yaml `web`): the service and its container port, if it has one. */
  web: T.Union([
    T.Object({
      service: T.String(),
      port: T.Integer(),
      auth: T.Optional(T.Union([T.Boolean(), T.Literal('members-basic')])),
    }),
    T.Null(),
  ]),
  /** `https://<install>.<domain>/` once a domain is set and the app has a web entry (issue 13). */
  url: T.Optional(T.String()),
  /** Present (true) for Foyer's own services, such as the edge (issue 13): not a person's app. */
  core: T.Optional(T.Boolean()),
  status: T.Union([StatusReply, T.Null()]),
  /**
   * The newest verification restore of one of its snapshots into a scratch install (issue 15):
   * when, whether the app came up healthy, which snapshot, and why; null before the first.
   */
  lastVerifiedRestore: T.Union([
    T.Object({ at: T.String(), ok: T.Boolean(), snapshot: T.String(), note: T.String() }),
    T.Null(),
  ]),
  createdAt: T.String(),
  updatedAt: T.String(),
});

/** What an uninstall without purge left of one install (`GET /api/kept-data`). */
export const KeptDataReply = T.Object({
  install: T.String(),
  app: T.Union([T.String(), T.Null()]),
  volumes: T.Array(T.String()),
  folder: T.Union([T.String(), T.Null()]),
});

export const IdParams = T.Object({ id: T.String({ maxLength: 64 }) });

export const JobAccepted = T.Object({ install: InstallReply, job: JobReply });

/** Settings as a person sends them; the app's typed fields check each value. */
export const SettingsBody = T.Record(
  T.String({ maxLength: 64 }),
  T.Union([T.String({ maxLength: 4096 }), T.Number(), T.Boolean()]),
);

/** What an update changes (issue 17). */
export const UpdateChanges = T.Object({
  from: T.Union([T.String(), T.Null()]),
  to: T.Union([T.String(), T.Null()]),
  images: T.Array(
    T.Object({
      service: T.String(),
      from: T.Union([T.String(), T.Null()]),
      to: T.Union([T.String(), T.Null()]),
    }),
  ),
  permissions: T.Object({
    added: T.Array(T.Object({ permission: T.String(), description: T.String() })),
    removed: T.Array(T.String()),
  }),
  settings: T.Object({ added: T.Array(T.String()), removed: T.Array(T.String()) }),
});

/** Debian's updates for an install's built images, as its last checks found them. */
export const DebianOfferReply = T.Object({
  /** When the newest check ran; null when none has. */
  checkedAt: T.Union([T.String(), T.Null()]),
  packages: T.Array(PackageUpdateReply),
  /** Services whose image could not be checked, and why. */
  problems: T.Array(T.Object({ service: T.String(), error: T.String() })),
  /** A check is under way (`POST …/update/check` started it, or the daily one). */
  checking: T.Boolean(),
});

/** An install's automatic updates (issue 15): `GET`/`PUT /api/installs/:id/auto-update`. */
export const AutoUpdateReply = T.Object({
  enabled: T.Boolean(),
  window: T.String(),
  /** The offer last tried automatically, its job and when. */
  lastOffer: T.Union([T.String(), T.Null()]),
  lastJob: T.Union([T.String(), T.Null()]),
  lastAt: T.Union([T.String(), T.Null()]),
});

/** `GET /api/installs/:id/update`. */
export const UpdatePreview = T.Object({
  install: T.String(),
  version: T.Union([T.String(), T.Null()]),
  catalog: T.Union([T.Literal('listed'), T.Literal('removed'), T.Literal('invalid')]),
  problems: T.Optional(Problems),
  /** What moving to the catalogue's definition changes; null when it offers nothing new. */
  changes: T.Union([UpdateChanges, T.Null()]),
  /**
   * Newer Debian packages for the images built here (issue 15): an update rebuilds them without
   * cache, even when the catalogue offers nothing new.
   */
  debian: DebianOfferReply,
});

/** One resource sample (issue 12 §4). */
export const ResourcePointReply = T.Object({
  at: T.String({ format: 'date-time' }),
  cpuPercent: T.Union([T.Number(), T.Null()], {
    description:
      'percent of one core since the previous sample (200: two cores busy); null on a first sample',
  }),
  memoryBytes: T.Integer(),
});

/** `GET /api/installs/:id/resources`. */
export const ResourcesReply = T.Object({
  at: T.String({ format: 'date-time' }),
  cpuPercent: T.Union([T.Number(), T.Null()]),
  memoryBytes: T.Integer(),
  diskBytes: T.Object({
    volumes: T.Integer({ description: "the install's named volumes" }),
    images: T.Integer({
      description: 'the images its containers run (shared layers counted in each)',
    }),
  }),
  history: T.Array(ResourcePointReply, {
    description: 'one sample a minute, the last hour, oldest first',
  }),
});
