/**
 * The language shown, as reactive state: read by `t()` (./i18n.ts), so every
 * text on screen follows a switch without a reload.
 */
export const localeState = $state({ current: 'en' as string });
