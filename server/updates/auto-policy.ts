/**
 * Automatic updates per app (issue 15), the pure part: the setting and its
 * checks, what counts as an offer, and whether an automatic update is due.
 * Off by default; inside the install's daily window (the window logic the
 * nightly backup uses, schedule/window.ts) an offer not tried yet is taken,
 * one install at a time. An offer already tried automatically — rolled back
 * or not — is never tried again: only a newer offer, or a person, moves it.
 */
import { parseTimeRange, windowStart } from '../schedule/window.js';
import { offerKey, type PackageUpdate } from './debian-packages.js';

export interface AutoUpdateSetting {
  enabled: boolean;
  /** `HH:MM-HH:MM`, the box's local time; may wrap past midnight. */
  window: string;
}

export const DEFAULT_AUTO_UPDATE: AutoUpdateSetting = { enabled: false, window: '03:00-05:00' };

/** Problems of a setting people send, path-qualified; empty when it is fine. */
export function autoUpdateProblems(
  setting: AutoUpdateSetting,
): { path: string; message: string }[] {
  return parseTimeRange(setting.window)
    ? []
    : [{ path: 'window', message: 'must be a range of the day, HH:MM-HH:MM (24 h), start ≠ end' }];
}

/** Whether `now` is inside the setting's window. */
export function inWindow(now: Date, setting: AutoUpdateSetting): boolean {
  const range = parseTimeRange(setting.window);
  return range !== undefined && windowStart(now, range.start, range.lengthMs) !== undefined;
}

/**
 * What an install is offered, named so an attempt can be remembered: the catalogue's new
 * definition first (`catalog:<hash>`; an update to it rebuilds what changed), else Debian's
 * packages for its built images (`debian:<name>=<version>,…`). Undefined: nothing offered.
 */
export function pendingOffer(offer: {
  catalogDefinition?: string;
  debian: PackageUpdate[];
}): string | undefined {
  if (offer.catalogDefinition) return `catalog:${offer.catalogDefinition}`;
  return offer.debian.length > 0 ? offerKey(offer.debian) : undefined;
}

export interface AutoUpdateInput {
  now: Date;
  setting: AutoUpdateSetting;
  /** `pendingOffer`'s key, or undefined when nothing is offered. */
  offer: string | undefined;
  /** The offer last tried automatically for this install. */
  lastAttempt: string | null;
  /** A job runs for the install, or another automatic update is under way. */
  busy: boolean;
}

/** An automatic update is due: on, inside the window, something new offered, nothing running. */
export function autoUpdateDue(input: AutoUpdateInput): boolean {
  if (!input.setting.enabled || input.busy || input.offer === undefined) return false;
  if (input.offer === input.lastAttempt) return false;
  return inWindow(input.now, input.setting);
}
