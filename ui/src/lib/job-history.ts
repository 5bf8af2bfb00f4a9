/**
 * Jobs as the activity lists show them: the history read per screen visit
 * (`GET /api/jobs`) overlaid with what the event stream said since
 * (`live.jobs`), newest first.
 */
import type { Job } from './types.ts';

/**
 * History and live jobs together, by id, newest first. Live wins (it is newer), except that a
 * job the history says has ended stays ended: a job never runs again, and the stream may have
 * missed its end while it was broken.
 */
export function mergeJobs(
  history: Job[],
  liveJobs: Record<string, Job>,
  installId?: string,
  limit = 200,
): Job[] {
  const byId = new Map(history.map((j) => [j.id, j]));
  for (const job of Object.values(liveJobs)) {
    if (installId !== undefined && job.installId !== installId) continue;
    const known = byId.get(job.id);
    if (job.state === 'running' && known && known.state !== 'running') continue;
    byId.set(job.id, job);
  }
  return [...byId.values()]
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
    .slice(0, limit);
}
