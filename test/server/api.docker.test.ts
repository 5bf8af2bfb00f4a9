/**
 * The daemon's API on a real engine: the route audit (every route but the
 * allowlist answers 401 without credentials, whatever X-Forwarded-For or
 * Host say), bad input refused with its code and nothing changed, and
 * secrets that never appear in any answer or log line.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Daemon } from '../../server/daemon.js';
import { countingAdapter } from '../../server/docker/counting-adapter.js';
import { connectDocker } from '../../server/docker/dockerode-adapter.js';
import { type AppDaemon, startAppDaemon } from '../support/app-daemon.js';
import { eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const logLines: string[] = [];
const answers: string[] = [];
let foyer: AppDaemon;
let daemon: Daemon;
let app: FastifyInstance;
let counts: ReturnType<typeof countingAdapter>;
let cookie = '';

// The edge's auth gate asks /api/auth/verify without credentials (it answers 401 or 302 then),
// and /api/auth/basic/:install with a member's Basic credentials (issue 14); a one-time link
// sets a member's first password (the token is the credential).
const PUBLIC = [
  'GET /api/auth/basic/:install',
  'GET /api/auth/verify',
  'GET /api/health',
  'GET /api/setup',
  'POST /api/auth/login',
  'POST /api/members/set-password',
  'POST /api/setup',
];

before(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  counts = countingAdapter(await connectDocker(engine.host));
  foyer = await startAppDaemon(engine, {
    catalogDirs: [TEST_CATALOG],
    docker: counts.adapter,
    log: pino({ level: 'debug' }, sink),
    resyncMs: 1000,
    beforeReady: (app) =>
      app.addHook('onSend', async (_request, _reply, payload) => {
        if (typeof payload === 'string') answers.push(payload);
        return payload;
      }),
  });
  ({ daemon, app, cookie } = foyer);
});

after(async () => {
  await foyer.removeAll();
  await foyer.close();
});

const asAdmin = (
  method: string,
  url: string,
  payload?: unknown,
  extra: Record<string, string> = {},
) => foyer.inject(method, url, payload, extra);

describe('route audit', () => {
  test('every route outside the allowlist answers 401 without credentials, spoofed headers or not', async () => {
    const routes = app.foyerRoutes.filter((r) => r.url.startsWith('/api/'));
    assert.ok(routes.length >= 25, `found ${routes.length} routes`);
    assert.deepEqual(
      routes
        .filter((r) => r.public)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
      [...PUBLIC].sort(),
    );
    for (const route of routes.filter((r) => !r.public)) {
      const url = route.url.replaceAll(':id', 'web');
      for (const headers of [
        {},
        { 'x-forwarded-for': '127.0.0.1', host: 'localhost' },
        { 'x-real-ip': '127.0.0.1', host: '127.0.0.1:8420' },
      ]) {
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          headers,
          payload: route.method === 'GET' ? undefined : {},
        });
        assert.equal(
          res.statusCode,
          401,
          `${route.method} ${url} with ${JSON.stringify(headers)}: ${res.body}`,
        );
        assert.equal(res.json().code, 'FOYER_UNAUTHENTICATED');
      }
    }
  });
});

describe('bad input changes nothing', () => {
  const world = async () => ({
    installs: daemon.store.installs.list().map((i) => `${i.id}@${i.generation}`),
    containers: (await engine.docker(['ps', '-aq', '--filter', 'label=foyer.managed=true'])).stdout,
  });

  test('each bad request gets a 4xx with its code; the store and the engine are unchanged', async () => {
    const before = await world();
    counts.reset();
    const cases: [
      string,
      Promise<{ statusCode: number; json(): { code: string } }>,
      number,
      string,
    ][] = [
      [
        'malformed JSON',
        asAdmin('POST', '/api/installs', '{"app": "web",', { 'content-type': 'application/json' }),
        400,
        'FOYER_BAD_REQUEST',
      ],
      [
        'oversized body',
        asAdmin('POST', '/api/installs', {
          app: 'web',
          settings: { GREETING: 'x'.repeat(300_000) },
        }),
        413,
        'FOYER_BODY_TOO_LARGE',
      ],
      [
        'unknown app',
        asAdmin('POST', '/api/installs', { app: 'no-such-app' }),
        404,
        'FOYER_APP_NOT_FOUND',
      ],
      [
        '../ in an app id',
        asAdmin('POST', '/api/installs', { app: '../../etc' }),
        404,
        'FOYER_APP_NOT_FOUND',
      ],
      [
        '../ in an install id',
        asAdmin('POST', '/api/installs', { app: 'web', id: '../web' }),
        400,
        'FOYER_INVALID_ID',
      ],
      [
        'shell in an install id',
        asAdmin('POST', '/api/installs', { app: 'web', id: 'web;reboot' }),
        400,
        'FOYER_INVALID_ID',
      ],
      [
        'unknown setting',
        asAdmin('POST', '/api/installs', { app: 'web', settings: { NOPE: '1' } }),
        400,
        'FOYER_INVALID_SETTINGS',
      ],
      [
        'shell in a value',
        asAdmin('POST', '/api/installs', {
          app: 'web',
          settings: { GREETING: '$(reboot); rm -rf /' },
        }),
        400,
        'FOYER_INVALID_SETTINGS',
      ],
      [
        'out of bounds',
        asAdmin('POST', '/api/installs', { app: 'web', settings: { PORT: 80 } }),
        400,
        'FOYER_INVALID_SETTINGS',
      ],
      [
        'setting a generated secret',
        asAdmin('POST', '/api/installs', { app: 'web', settings: { ADMIN_TOKEN: 'mine' } }),
        400,
        'FOYER_INVALID_SETTINGS',
      ],
      [
        'permissions not accepted',
        asAdmin('POST', '/api/installs', { app: 'powerful' }),
        400,
        'FOYER_PERMISSIONS_NOT_ACCEPTED',
      ],
      [
        'unknown install',
        asAdmin('POST', '/api/installs/nope/start'),
        404,
        'FOYER_INSTALL_NOT_FOUND',
      ],
      [
        'traversal in a path',
        asAdmin('GET', '/api/installs/..%2F..%2Fetc'),
        404,
        'FOYER_INSTALL_NOT_FOUND',
      ],
      [
        'unknown field',
        asAdmin('POST', '/api/installs', { app: 'web', extra: true }),
        400,
        'FOYER_BAD_REQUEST',
      ],
    ];
    for (const [what, request, status, code] of cases) {
      const res = await request;
      assert.equal(res.statusCode, status, `${what}: ${JSON.stringify(res.json())}`);
      assert.equal(res.json().code, code, what);
    }
    assert.deepEqual(await world(), before);
    assert.equal(counts.mutating(), 0, 'no write reached the engine');
  });
});

describe('secrets', () => {
  test('a generated secret never appears in an answer or a log line, yet reaches the container', async () => {
    const res = await asAdmin('POST', '/api/installs', {
      app: 'web',
      id: 'secretive',
      settings: { GREETING: 'psst' },
    });
    assert.equal(res.statusCode, 202, res.body);
    await eventually(
      'running',
      async () =>
        (await asAdmin('GET', '/api/installs/secretive')).json().status?.state === 'running',
      60_000,
    );
    await asAdmin('GET', '/api/installs');
    await asAdmin('GET', '/api/apps/web');
    await asAdmin('GET', '/api/jobs');
    await asAdmin('GET', '/api/audit');
    const secret = daemon.store.installs.secrets('secretive').ADMIN_TOKEN;
    assert.ok(secret && secret.length === 24);
    const env = (
      await engine.docker(['exec', 'secretive-web-1', 'sh', '-c', 'echo $ADMIN_TOKEN'])
    ).stdout.trim();
    assert.equal(env, secret, 'the container gets it');
    for (const body of answers)
      assert.ok(!body.includes(secret), `an answer holds the secret: ${body.slice(0, 200)}`);
    for (const line of logLines)
      assert.ok(!line.includes(secret), `a log line holds the secret: ${line.slice(0, 200)}`);
    for (const line of logLines)
      assert.ok(!line.includes('correct horse battery'), 'a log line holds a password');
  });
});

describe('the event stream and jobs', () => {
  test('one SSE stream carries status changes, job state and step progress of an install', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      headers: { cookie },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const seen: { event: string; data: Record<string, unknown> }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) seen.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {}
    })();
    const created = await asAdmin('POST', '/api/installs', { app: 'trio', id: 'streamed' });
    assert.equal(created.statusCode, 202, created.body);
    const jobId = created.json().job.id as string;
    await eventually(
      'the job succeeded on the stream',
      () =>
        seen.some((e) => e.event === 'job' && e.data.id === jobId && e.data.state === 'succeeded'),
      90_000,
    );
    abort.abort();
    await reading;
    assert.ok(
      seen.some(
        (e) => e.event === 'status' && e.data.install === 'streamed' && e.data.state === 'running',
      ),
      'status running',
    );
    const steps = seen.filter(
      (e) => e.event === 'progress' && e.data.install === 'streamed' && e.data.kind === 'step',
    );
    assert.ok(
      steps.some((e) => (e.data.operation as { kind: string }).kind === 'CreateContainer'),
      'step progress',
    );
    assert.ok(
      steps.every((e) => e.data.job === jobId),
      'progress names its job',
    );
    const job = (await asAdmin('GET', `/api/jobs/${jobId}`)).json();
    assert.equal(job.state, 'succeeded');
    assert.match(job.step, /^\d+\/\d+ /);
    const audit = (await asAdmin('GET', '/api/audit')).json() as {
      action: string;
      target: string;
      actor: string;
    }[];
    assert.ok(
      audit.some(
        (a) => a.action === 'install.install' && a.target === 'streamed' && a.actor === 'admin',
      ),
    );
  });
});
