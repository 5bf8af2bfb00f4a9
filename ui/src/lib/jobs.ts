/**
 * Jobs as the activity lists show them: the history read once per screen
 * visit (`GET /api/jobs`) overlaid with what the event stream said since
 * (`live.jobs`), newest first, and a job's step in words.
 */
import { t, tOr } from './i18n.ts';
import type { Job } from './types.ts';

/** History and live jobs together, by id (live wins: it is newer), newest first. */
export function mergeJobs(
  history: Job[],
  liveJobs: Record<string, Job>,
  installId?: string,
  limit = 200,
): Job[] {
  const byId = new Map(history.map((j) => [j.id, j]));
  for (const job of Object.values(liveJobs)) {
    if (installId === undefined || job.installId === installId) byId.set(job.id, job);
  }
  return [...byId.values()]
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
    .slice(0, limit);
}

/**
 * A job's step as a person reads it. The daemon stores `3/5 StartContainer web`
 * (server/jobs/runner.ts stepText); anything else is shown as it is.
 */
export function stepWords(step: string | null): string | undefined {
  if (!step) return undefined;
  const match = /^(\d+)\/(\d+) (\w+)(?: (.+))?$/.exec(step);
  if (!match) return step;
  const [, index = '', total = '', kind = '', target = ''] = match;
  const action = tOr(`op.${kind}`, kind, { target });
  return t('progress.step', { index, total, action });
}
