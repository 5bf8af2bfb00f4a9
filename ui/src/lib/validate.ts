/**
 * Checks a form runs before sending, so a person sees a problem by its field
 * at once. A setting's value is checked by the daemon's own rules
 * (server/catalog/setting-rules.ts, bundled here), so the form and the daemon
 * cannot disagree about it; ./setting-messages.ts words the problem. The
 * account and install-id checks mirror the auth schemas and the store. Pure:
 * no i18n, so the tests run these checks as the browser does.
 */
import { checkSetting, type SettingProblem } from '../../../server/catalog/setting-rules.ts';
import type { Setting } from './types.ts';

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

/** What is wrong with one value as the form holds it, by the daemon's rules, or undefined. */
export function settingProblem(setting: Setting, value: FormValue): SettingProblem | undefined {
  return checkSetting(setting, value).problem;
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
