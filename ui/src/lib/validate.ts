/**
 * Checks a form runs before sending, mirroring the daemon's own
 * (server/catalog/settings.ts checkValue and resolveSettings, the auth
 * schemas), so a person sees a problem by its field at once. The daemon
 * still checks everything: its path-qualified problems land on the same
 * fields when these rules drift.
 */
import { t } from './i18n.ts';
import type { Setting } from './types.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!\d+$)[a-z0-9-]{2,63}$/i;
/** server/store installs INSTALL_ID_PATTERN. */
export const INSTALL_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** server/auth/schemas.ts Username. */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** server/auth/schemas.ts NewPassword minLength. */
export const PASSWORD_MIN = 10;

/** A setting's value as the form holds it: text for inputs, a boolean for a checkbox. */
export type FormValue = string | boolean;

/** The form's starting value of a setting (its default, else empty). */
export function initialValue(setting: Setting): FormValue {
  if (setting.type === 'boolean') return setting.default === true || setting.default === 'true';
  return setting.default === undefined ? '' : String(setting.default);
}

/** Settings a person fills in (generated secrets are made by the daemon). */
export function editable(setting: Setting): boolean {
  return !setting.secret?.generate;
}

/** The problem with one value, in the person's language, or undefined when it is fine. */
export function checkSetting(setting: Setting, raw: FormValue): string | undefined {
  if (setting.type === 'boolean') return undefined;
  const value = String(raw);
  if (value === '') return setting.required ? t('field.required') : undefined;
  switch (setting.type) {
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) return t('field.number');
      if (setting.min !== undefined && n < setting.min) return t('field.min', { min: setting.min });
      if (setting.max !== undefined && n > setting.max) return t('field.max', { max: setting.max });
      return undefined;
    }
    case 'choice':
      return setting.choices?.includes(value) ? undefined : t('field.choice');
    case 'email':
      if (!EMAIL.test(value)) return t('field.email');
      break;
    case 'domain':
      if (!DOMAIN.test(value)) return t('field.domain');
      break;
    default:
      if (setting.min !== undefined && value.length < setting.min) {
        return t('field.minLength', { min: setting.min });
      }
      if (setting.max !== undefined && value.length > setting.max) {
        return t('field.maxLength', { max: setting.max });
      }
  }
  // The characters server/catalog/settings.ts refuses: C0 but tab, DEL, C1, U+2028, U+2029.
  if (/[\0-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/.test(value)) return t('field.singleLine');
  if (setting.pattern) {
    try {
      if (!new RegExp(`^(?:${setting.pattern})$`).test(value)) return t('field.pattern');
    } catch {
      // A pattern the browser cannot read: the daemon decides.
    }
  }
  return undefined;
}

/** The body's `settings`: what the person entered, empty optional fields left out. */
export function settingsBody(
  settings: Setting[],
  values: Record<string, FormValue>,
): Record<string, string | number | boolean> {
  const body: Record<string, string | number | boolean> = {};
  for (const setting of settings) {
    if (!editable(setting)) continue;
    const value = values[setting.key];
    if (value === undefined || value === '') continue;
    body[setting.key] = setting.type === 'number' ? Number(value) : value;
  }
  return body;
}
