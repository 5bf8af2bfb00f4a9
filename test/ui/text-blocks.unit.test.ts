/** App text from app.yaml (wrapped by hand, `- ` items) shown as paragraphs and lists. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textBlocks } from '../../ui/src/lib/text-blocks.ts';

test('hand-wrapped lines join; items become a list; blank lines end a block', () => {
  const notes = `Before mail can arrive:
- DNS: an MX record
  pointing at this server.
- Router: forward 25.

Mail programs log in
with the full address.`;
  assert.deepEqual(textBlocks(notes), [
    { list: false, lines: ['Before mail can arrive:'] },
    { list: true, lines: ['DNS: an MX record pointing at this server.', 'Router: forward 25.'] },
    { list: false, lines: ['Mail programs log in with the full address.'] },
  ]);
});

test('no text, no blocks', () => {
  assert.deepEqual(textBlocks('\n  \n'), []);
});
