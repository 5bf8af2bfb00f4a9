/**
 * The UI's message catalogues: French has every English key (the type check
 * says so too) and each message keeps the same `{placeholders}`, so no
 * screen shows a raw `{name}` or loses a value in one language.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messages as en } from '../../ui/src/messages/en.ts';
import { messages as fr } from '../../ui/src/messages/fr.ts';

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
