/**
 * The UI's message catalogues: French has every English key (the type check
 * says so too) and each message keeps the same `{placeholders}`, so no
 * screen shows a raw `{name}` or loses a value in one language. The same
 * for the catalogues a lazily loaded screen carries (names and HTTPS), and
 * its step lists (`|`-separated) have as many steps in both languages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messages as en } from '../../ui/src/messages/en.ts';
import { names as enNames } from '../../ui/src/messages/en-names.ts';
import { messages as fr } from '../../ui/src/messages/fr.ts';
import { names as frNames } from '../../ui/src/messages/fr-names.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('French has exactly the English keys', () => {
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
});

test('every message keeps its placeholders in both languages', () => {
  for (const [key, text] of Object.entries(en)) {
    const french = (fr as Record<string, string>)[key] ?? '';
    assert.deepEqual(placeholders(french), placeholders(text), key);
    assert.ok(french.trim() !== '', `${key} is empty in French`);
  }
});

test('the names screen’s catalogues: same keys, placeholders and steps in both languages', () => {
  assert.deepEqual(Object.keys(frNames).sort(), Object.keys(enNames).sort());
  for (const [key, text] of Object.entries(enNames)) {
    const french = (frNames as Record<string, string>)[key] ?? '';
    assert.deepEqual(placeholders(french), placeholders(text), key);
    assert.ok(french.trim() !== '', `${key} is empty in French`);
    assert.equal(french.split('|').length, text.split('|').length, `${key}: steps`);
  }
});
