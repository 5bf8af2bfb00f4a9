/** A job's step in words, as the activity lists show it. */
import { t, tOr } from './i18n.ts';

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
