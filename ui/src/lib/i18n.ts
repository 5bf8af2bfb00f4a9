/**
 * Messages in English and French from the catalogues in ../messages. The
 * language is the one the person chose (kept in localStorage), else the
 * first of the browser's languages Foyer speaks, else English. `t()` reads
 * the reactive locale, so a component re-renders its texts on a switch.
 */
import { messages as en, type MessageKey } from '../messages/en.ts';
import { messages as fr } from '../messages/fr.ts';
import { localeState } from './locale.svelte.ts';

export type { MessageKey };
export const LOCALES = { en: 'English', fr: 'Français' } as const;
export type Locale = keyof typeof LOCALES;
const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = 'foyer.locale';

const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && Object.hasOwn(LOCALES, value);

/** The stored choice, else the browser's preference, else English. */
export function initialLocale(
  languages: readonly string[] = navigator.languages ?? [navigator.language],
): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled; the browser's languages still decide.
  }
  if (isLocale(stored)) return stored;
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}

/** The language shown now. */
export function locale(): Locale {
  return localeState.current as Locale;
}

/** Shows `next` everywhere; `remember` keeps the choice for the next visit (a person's switch). */
export function setLocale(next: Locale, options: { remember?: boolean } = {}): void {
  localeState.current = next;
  document.documentElement.lang = next;
  if (!options.remember) return;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered, still shown.
  }
}

/** `text` with its `{name}` placeholders filled from `vars` (unknown ones left as written). */
function fill(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** The message `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  return fill(CATALOGUES[locale()][key] ?? en[key] ?? key, vars);
}

/**
 * A `t()` over a lazily loaded screen's own catalogues (English and French with the same keys),
 * so a screen's many words travel with its chunk instead of the first load.
 */
export function translator<K extends string>(
  catalogues: Record<Locale, Record<K, string>>,
): (key: K, vars?: Record<string, string | number>) => string {
  return (key, vars) => fill(catalogues[locale()][key] ?? catalogues.en[key] ?? key, vars);
}

/** Whether `key` exists (for messages chosen at run time, such as a state or an error code). */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** A message chosen at run time (`state.running`), or `fallback` when the catalogue lacks it. */
export function tOr(key: string, fallback: string, vars?: Record<string, string | number>): string {
  return hasMessage(key) ? t(key, vars) : fallback;
}
