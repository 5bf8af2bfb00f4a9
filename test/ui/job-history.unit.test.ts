/**
 * The activity lists' jobs: the history a screen read, overlaid with what the event stream said
 * since. A job the history says has ended never shows as running again, so a confirm that waits
 * for a running change cannot wait for one whose end the stream missed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeJobs } from '../../ui/src/lib/job-history.ts';
import type { Job } from '../../ui/src/lib/types.ts';

function job(id: string, state: string, createdAt: string, installId = 'web'): Job {
  return {
    id,
    kind: 'install',
    installId,
    state,
    step: null,
    error: null,
    actor: 'alice',
    createdAt,
    updatedAt: createdAt,
    finishedAt: state === 'running' ? null : createdAt,
  };
}

test('the stream’s newer word wins over the history', () => {
  const merged = mergeJobs([job('a', 'running', '1')], { a: job('a', 'succeeded', '1') });
  assert.deepEqual(
    merged.map((j) => j.state),
    ['succeeded'],
  );
});

test('a job the history says has ended stays ended, whatever the stream said before', () => {
  const merged = mergeJobs([job('a', 'succeeded', '1')], { a: job('a', 'running', '1') });
  assert.deepEqual(
    merged.map((j) => j.state),
    ['succeeded'],
  );
});

test('newest first, one install only when asked, and no more than the limit', () => {
  const merged = mergeJobs(
    [job('a', 'succeeded', '1'), job('b', 'failed', '3')],
    { c: job('c', 'running', '2'), d: job('d', 'running', '4', 'other') },
    'web',
    2,
  );
  assert.deepEqual(
    merged.map((j) => j.id),
    ['b', 'c'],
  );
});
