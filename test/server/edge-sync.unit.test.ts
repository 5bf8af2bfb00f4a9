/**
 * The edge's config sync, with a fake admin API standing in for Caddy (pure tier): a write
 * only when the config differs (none in steady state), a Caddy that lost its config gets it at
 * the next resync, a refused config is reported with Caddy's words and not pushed again until
 * desired state changes. The docker tier runs the same against the real Caddy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CaddyAdmin, CaddyError } from '../../server/edge/admin-client.js';
import { canonicalJson, EdgeSync } from '../../server/edge/sync.js';

const quiet = { info: () => {}, warn: () => {} };

/** Caddy as far as the sync sees it: a config, returned with its keys in another order. */
function fakeCaddy(refuse?: (config: unknown) => string | undefined) {
  const state = { config: null as unknown, reads: 0, writes: 0, down: false };
  const admin: CaddyAdmin = {
    async getConfig() {
      state.reads++;
      if (state.down) throw new Error('connect ENOENT');
      // Go's encoder sorts keys: given back sorted, unlike the order they were sent in.
      return state.config === null ? null : JSON.parse(canonicalJson(state.config));
    },
    async load(config) {
      state.writes++;
      const reason = refuse?.(config);
      if (reason) throw new CaddyError(400, reason);
      state.config = config;
    },
    async localRoot() {
      return '';
    },
  };
  return { admin, state };
}

test('loads once, then reads only: no write in steady state', async () => {
  const { admin, state } = fakeCaddy();
  const desired = { apps: { http: { servers: {} } }, admin: { listen: 'unix//x' } };
  const sync = new EdgeSync({ admin, desired: () => desired, log: quiet });
  await sync.trigger();
  assert.equal(state.writes, 1);
  for (let i = 0; i < 10; i++) await sync.trigger();
  assert.equal(state.writes, 1);
  assert.equal(state.reads, 11);
  assert.equal(sync.status.state, 'synced');
  assert.equal(typeof sync.status.lastPushMs, 'number');
});

test('a Caddy that lost its config gets it back at the next pass', async () => {
  const { admin, state } = fakeCaddy();
  const desired = { a: 1 };
  const sync = new EdgeSync({ admin, desired: () => desired, log: quiet });
  await sync.trigger();
  state.down = true;
  await sync.trigger();
  assert.equal(sync.status.state, 'waiting');
  state.down = false;
  state.config = null; // recreated: the boot config only
  await sync.trigger();
  assert.deepEqual(state.config, desired);
  assert.equal(state.writes, 2);
  assert.equal(sync.status.state, 'synced');
});

test("a refused config is reported with Caddy's message and not pushed again until it changes", async () => {
  const { admin, state } = fakeCaddy((c) =>
    (c as { bad?: boolean }).bad ? 'loading config: invalid listener address' : undefined,
  );
  let desired: Record<string, unknown> = { good: true };
  const sync = new EdgeSync({ admin, desired: () => desired, log: quiet });
  await sync.trigger();
  desired = { bad: true };
  await sync.trigger();
  assert.equal(sync.status.state, 'failed');
  assert.match(sync.status.error ?? '', /invalid listener address/);
  assert.deepEqual(state.config, { good: true }, 'the previous config keeps serving');
  const writes = state.writes;
  await sync.trigger();
  await sync.trigger();
  assert.equal(state.writes, writes, 'the refused config is not pushed again');
  desired = { good: 2 };
  await sync.trigger();
  assert.equal(sync.status.state, 'synced');
  assert.deepEqual(state.config, { good: 2 });
});

test('without a domain nothing is read or written', async () => {
  const { admin, state } = fakeCaddy();
  const sync = new EdgeSync({ admin, desired: () => undefined, log: quiet });
  await sync.trigger();
  assert.equal(state.reads + state.writes, 0);
  assert.equal(sync.status.state, 'off');
});
