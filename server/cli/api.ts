/**
 * The shapes of the daemon's answers, as the CLI reads them. Installs and
 * jobs come from the routes' own schemas (type-only imports: nothing of the
 * server loads at run time); the app summary is repeated here because the
 * apps route keeps its schema private.
 */
import type { Static } from '@sinclair/typebox';
import type {
  InstallReply,
  JobReply,
  ServiceStatusReply,
  StatusReply,
  UpdatePreview,
} from '../routes/schemas.js';

export type Install = Static<typeof InstallReply>;
export type Job = Static<typeof JobReply>;
export type UpdatePreviewReply = Static<typeof UpdatePreview>;
export type InstallStatus = Static<typeof StatusReply>;
export type ServiceStatus = Static<typeof ServiceStatusReply>;

/** `POST /api/installs` and the other changes answer 202 with the install and its job. */
export interface JobAccepted {
  install: Install;
  job: Job;
}

/** One entry of `GET /api/apps`. */
export interface AppSummary {
  id: string;
  name: string;
  version: string;
  summary?: string;
  categories: string[];
  requirements: { memory?: string; disk?: string };
  permissions: { permission: string; description: string }[];
  hasIcon: boolean;
}

/** Progress of a job's plan, from `event: progress` of `/api/events`. */
export type ProgressEvent = { install: string; job?: string } & (
  | {
      kind: 'step';
      index: number;
      total: number;
      operation: { kind: string; service?: string; name?: string };
      phase: 'start' | 'done';
    }
  | {
      kind: 'image';
      service: string;
      progress:
        | { kind: 'pull'; layer?: string; status: string; current?: number; total?: number }
        | { kind: 'build'; line: string };
    }
);

/** `event: status` of `/api/events`: an install's status, or its removal. */
export type StatusEvent = { install: string; state: string; reason?: string; terminal?: boolean };

/** A job is over once it is not running. */
export function jobFinished(job: Job): boolean {
  return job.state !== 'running';
}

/** A path segment for an id the user typed. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
