/** An error as a person reads it: the catalogue's words for a known code, else the daemon's. */
import { ApiError } from './api.ts';
import { hasMessage, t } from './i18n.ts';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `error.${error.code}`;
    if (hasMessage(key)) return t(key);
    return t('error.generic', { message: error.message });
  }
  return t('error.generic', { message: String((error as Error)?.message ?? error) });
}
