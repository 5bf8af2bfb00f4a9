// The daemon sorts text by code unit (server/text-order.ts): the same order on every box, and
// no ICU collator, whose data would stay resident for the daemon's life (issue 14's bundle).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { byCodeUnit } from '../../server/text-order.js';

const server = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'server');

test('byCodeUnit orders ids, addresses and ISO times the same whatever the locale', () => {
  assert.deepEqual(['mail', 'chat', 'calendar', 'chat-2', 'Chat'].sort(byCodeUnit), [
    'Chat',
    'calendar',
    'chat',
    'chat-2',
    'mail',
  ]);
  assert.deepEqual(['::', '0.0.0.0', '127.0.0.1'].sort(byCodeUnit), ['0.0.0.0', '127.0.0.1', '::']);
  const times = ['2026-12-06T10:00:00Z', '2026-01-31T23:59:59Z', '2026-12-06T09:59:59Z'];
  assert.deepEqual([...times].sort(byCodeUnit), [times[1], times[2], times[0]]);
  assert.equal(byCodeUnit('same', 'same'), 0);
});

test("the daemon's code never calls localeCompare (it pages in ICU's collation data)", () => {
  const files = readdirSync(server, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  assert.ok(files.length > 50, `server sources found: ${files.length}`);
  const callers = files.filter((f) =>
    readFileSync(join(server, f), 'utf8').includes('.localeCompare('),
  );
  assert.deepEqual(callers, []);
});
