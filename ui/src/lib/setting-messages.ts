/**
 * A setting's problem (server/catalog/setting-rules.ts) in the person's
 * language. The switch covers every code the rules can answer, so a new rule
 * without a message fails the UI's type check.
 */
import type { SettingProblem } from '../../../server/catalog/setting-rules.ts';
import { t } from './i18n.ts';

/** The message shown under a field for `problem`. */
export function settingMessage(problem: SettingProblem): string {
  switch (problem.code) {
    case 'required':
      return t('field.required');
    case 'not-scalar':
      return t('field.scalar');
    case 'single-line':
      return t('field.singleLine', { character: problem.character });
    case 'number':
      return t('field.number');
    case 'min':
      return t('field.min', { min: problem.min });
    case 'max':
      return t('field.max', { max: problem.max });
    case 'boolean':
      return t('field.boolean');
    case 'choice':
      return t('field.choice');
    case 'email':
      return t('field.email');
    case 'domain':
      return t('field.domain');
    case 'min-length':
      return t('field.minLength', { min: problem.min });
    case 'max-length':
      return t('field.maxLength', { max: problem.max });
    case 'weak-password':
      return t(problem.reason === 'few-characters' ? 'field.weakVariety' : 'field.weakCommon');
    case 'pattern':
      return t('field.pattern');
  }
}
