/**
 * The words of the "Names and HTTPS" screen: its own catalogues
 * (../messages/*-names.ts), imported only by the screen's chunk so they stay
 * out of the first load.
 */
import { names as en } from '../messages/en-names.ts';
import { names as fr } from '../messages/fr-names.ts';
import { translator } from './i18n.ts';

export type { NamesKey } from '../messages/en-names.ts';

/** `t()` for the names screen. */
export const tn = translator({ en, fr });

/** The steps of a `*Steps` message, which separates them with `|`. */
export function steps(text: string): string[] {
  return text.split('|').map((step) => step.trim());
}

/** A names message chosen at run time (`names.portKnown.25`), or undefined when there is none. */
export function tnMaybe(key: string, vars?: Record<string, string | number>): string | undefined {
  return Object.hasOwn(en, key) ? tn(key as keyof typeof en, vars) : undefined;
}
