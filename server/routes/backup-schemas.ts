/** The backup API's answers (server/routes/backup.ts), shared with the UI's types. */
import { Type as T } from '@sinclair/typebox';

export const TargetReply = T.Object({
  name: T.String(),
  repository: T.String(),
  kind: T.String(),
  createdAt: T.String(),
  /**
   * Whether the last listing of snapshots could read this target (null before any listing):
   * an unplugged disk or a host that is down shows here, and the other targets still answer.
   */
  reachable: T.Optional(T.Union([T.Boolean(), T.Null()])),
  /** restic's words when it could not be read. */
  unreachableReason: T.Optional(T.Union([T.String(), T.Null()])),
});

export const SnapshotReply = T.Object({
  id: T.String(),
  shortId: T.String(),
  target: T.String(),
  time: T.String(),
  install: T.Union([T.String(), T.Null()]),
  app: T.Union([T.String(), T.Null()]),
  version: T.Union([T.String(), T.Null()]),
  /** A snapshot of Foyer's own state (store, definitions). */
  state: T.Boolean(),
  tags: T.Array(T.String()),
  /** Bytes the backup read; null when this box did not make it. */
  size: T.Union([T.Integer(), T.Null()]),
  verified: T.Union([T.Boolean(), T.Null()]),
  verifiedAt: T.Union([T.String(), T.Null()]),
  /** Why it is verified or not (the scratch install's health, restic's words). */
  verifyNote: T.Union([T.String(), T.Null()]),
});

export const Schedule = T.Object(
  {
    enabled: T.Boolean(),
    window: T.String({ maxLength: 5 }),
    hours: T.Integer(),
    retention: T.Object(
      { daily: T.Integer(), weekly: T.Integer(), monthly: T.Integer() },
      { additionalProperties: false },
    ),
    verifyAfterBackup: T.Optional(T.Boolean()),
    checkEveryDays: T.Optional(T.Integer()),
    checkParts: T.Optional(T.Integer()),
  },
  { additionalProperties: false },
);
