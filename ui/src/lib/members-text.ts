/**
 * The words of the Members and My account screens: their own catalogues
 * (../messages/*-members.ts), imported only by those screens' chunks so they
 * stay out of the first load.
 */
import { members as en } from '../messages/en-members.ts';
import { members as fr } from '../messages/fr-members.ts';
import { translator } from './i18n.ts';

export type { MembersKey } from '../messages/en-members.ts';

/** `t()` for the members screens. */
export const tm = translator({ en, fr });

/** A members message chosen at run time (`account.field.imaps`), or `fallback`. */
export function tmOr(key: string, fallback: string): string {
  return Object.hasOwn(en, key) ? tm(key as keyof typeof en) : fallback;
}
