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

export const InstallReply = T.Object({
  id: T.String(),
  app: T.String(),
  /** Settings a person entered, without passwords; generated secrets are never here. Empty for members. */
  settings: T.Record(T.String(), T.String()),
  /** Empty for members. */
  acceptedPermissions: T.Array(T.String()),
  desired: T.String(),
  /** The app's web entry (app.yaml `web`): the service and its container port, if it has one. */
  web: T.Union([T.Object({ service: T.String(), port: T.Integer() }), T.Null()]),
  status: T.Union([StatusReply, T.Null()]),
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
