/**
 * The members screens' pure parts: a refusal split by the field it concerns (the directory's
 * `field: why` parts and the validation's `body.field` problems), a refused import's lines,
 * and their catalogues (same keys and placeholders in English and French).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../ui/src/lib/api.ts';
import { fieldErrors, importProblems } from '../../ui/src/lib/members.ts';
import { members as en } from '../../ui/src/messages/en-members.ts';
import { members as fr } from '../../ui/src/messages/fr-members.ts';

test('a refusal shows by its field; what names none stays general', () => {
  const taken = new ApiError(
    'FOYER_CONFLICT',
    409,
    'name: "alice" is taken; email: "a@example.org" is bob\'s already; display_name: holds a control character or a line break',
  );
  assert.deepEqual(fieldErrors(taken), {
    fields: {
      name: '"alice" is taken',
      email: '"a@example.org" is bob\'s already',
      displayName: 'holds a control character or a line break',
    },
  });
  const invalid = new ApiError('FOYER_BAD_REQUEST', 400, 'body.name: must be at most 64', [
    { path: 'body.name', message: 'must be at most 64 characters' },
    { path: 'body.groups.0', message: 'must be at least 1 character' },
  ]);
  assert.deepEqual(fieldErrors(invalid), {
    fields: { name: 'must be at most 64 characters', groups: 'must be at least 1 character' },
  });
  assert.deepEqual(fieldErrors(new ApiError('FOYER_FORBIDDEN', 403, 'only an admin may do this')), {
    fields: {},
    other: 'only an admin may do this',
  });
});

test('a refused import gives one line per problem', () => {
  const error = new ApiError(
    'FOYER_BAD_REQUEST',
    400,
    'village.csv:2: email: "x" is not a mail address like name@example.org\nvillage.csv:3: groups: no group "band"',
  );
  assert.deepEqual(importProblems(error), [
    'village.csv:2: email: "x" is not a mail address like name@example.org',
    'village.csv:3: groups: no group "band"',
  ]);
});

test('the members catalogues: same keys and placeholders in both languages', () => {
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    const french = (fr as Record<string, string>)[key] ?? '';
    assert.deepEqual(placeholders(french), placeholders(text), key);
    assert.ok(french.trim() !== '', `${key} is empty in French`);
  }
});
