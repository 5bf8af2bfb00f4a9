/**
 * The shapes of the daemon's answers. Installs, jobs and statuses come from
 * the routes' own TypeBox schemas and the CLI's event types (type-only
 * imports: nothing of the server reaches the bundle), so a change to the API
 * fails the UI's type check instead of a screen.
 */
import type { Static } from '@sinclair/typebox';
import type { SettingType } from '../../../server/catalog/setting-rules.ts';
import type { AppSummary, ProgressEvent } from '../../../server/cli/api.js';
import type {
  Schedule as BackupScheduleSchema,
  SnapshotReply,
  TargetReply,
} from '../../../server/routes/backup-schemas.js';
import type {
  AutoUpdateReply,
  InstallReply,
  JobReply,
  KeptDataReply,
  ResourcesReply,
  ServiceStatusReply,
  StatusReply,
  UpdatePreview as UpdatePreviewSchema,
} from '../../../server/routes/schemas.js';

export type { AppSummary, ProgressEvent };
export type Install = Static<typeof InstallReply>;
export type Job = Static<typeof JobReply>;
/** `GET /api/installs/:id/update`: what an update would change (issue 17). */
export type UpdatePreview = Static<typeof UpdatePreviewSchema>;
/** An install's automatic updates and their daily window (issue 15). */
export type AutoUpdate = Static<typeof AutoUpdateReply>;
/** What an uninstall without purge left: `GET /api/kept-data`. */
export type KeptData = Static<typeof KeptDataReply>;
export type ServiceStatus = Static<typeof ServiceStatusReply>;
/** `GET /api/installs/:id/resources`: CPU, memory, disk and the last hour (issue 12 §4). */
export type Resources = Static<typeof ResourcesReply>;
/** One sample, as the history and `/resources/events` carry it. */
export type ResourcePoint = Resources['history'][number];
/** An install's status as `/api/installs` and the `status` event carry it. */
export type InstallStatus = Static<typeof StatusReply> & { install?: string };

/** `POST /api/installs` and every other change answer 202 with the install and its job. */
export interface JobAccepted {
  install: Install;
  job: Job;
}

/** A form field of an app (`app.yaml` settings; server/catalog/manifest.ts SettingSchema). */
export interface Setting {
  key: string;
  type: SettingType;
  label?: string;
  description?: string;
  required?: boolean;
  default?: string | number | boolean;
  pattern?: string;
  min?: number;
  max?: number;
  choices?: string[];
  secret?: { generate: true; length?: number };
}

/** `GET /api/apps/:id`. */
export interface AppDetail extends AppSummary {
  description?: string;
  website?: string;
  source?: string;
  license?: string;
  notes?: string;
  architectures: string[];
  web?: { service: string; port: number };
  settings: Setting[];
}

/** `GET /api/host`. */
export interface HostFacts {
  cpu: { model: string; cores: number; load: number[] };
  memory: { total: number; free: number };
  disk: { path: string; total: number; free: number };
  docker: { reachable: boolean; version?: string; apiVersion?: string; hint?: string };
}

/** A user as the auth routes answer (server/auth/schemas.ts UserReply). */
export interface User {
  id: number;
  username: string;
  role: 'admin' | 'member';
  totpEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/auth/me`. */
export interface Me {
  actor: {
    kind: 'session' | 'token' | 'local';
    userId: number | null;
    username: string;
    role: string;
  };
  user: User | null;
}

/** `GET /api/backup/targets`: where backups go (issue 15). */
export type BackupTarget = Static<typeof TargetReply>;
/** `GET /api/backup/snapshots`: one snapshot on one target. */
export type Snapshot = Static<typeof SnapshotReply>;
/** `GET|PUT /api/backup/schedule`: the nightly window and retention. */
export type BackupSchedule = Static<typeof BackupScheduleSchema>;
/** `POST /api/backup/targets` answers the target and, once, its recovery kit. */
export interface TargetAdded {
  target: BackupTarget;
  recoveryKit?: string;
  publicKey?: string;
}

/**
 * A backup, restore or verify job's progress on `/api/events` (server/backup/service.ts
 * Progress): a step in words, or restic's figures while it reads or writes.
 */
export type BackupProgressEvent = { job: string; install: string | null } & (
  | { kind: 'backup-step'; text: string }
  | {
      kind: 'backup';
      percent: number;
      bytesDone: number;
      totalBytes: number;
      filesDone: number;
      totalFiles: number;
      secondsRemaining?: number;
    }
);

/**
 * When an install's newest backup was last restored as a test, and how that went: the install
 * view's `lastVerifiedRestore` (another change adds it); until then derived from the snapshots.
 */
export interface VerifiedRestore {
  at: string;
  ok: boolean;
  snapshot: string;
  note: string;
}
