/**
 * The `foyer` client verbs against a fake daemon: a node:http server on a
 * unix socket (and on TCP for FOYER_URL) that answers as the routes do, so
 * exit codes, error lines, the permission refusal, `--wait` following a job
 * through server-sent events, and the progress display are checked without
 * Docker. The real daemon is in cli-client.docker.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ProgressEvent } from '../../server/cli/api.js';
import { clientDataDir } from '../../server/cli/client.js';
import { serverEvents } from '../../server/cli/events.js';
import { bytes, createProgress, type TerminalProgress } from '../../server/cli/progress.js';
import { defaultDataDir } from '../../server/daemon.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/foyer.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function foyer(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((done) => {
    const merged = { ...process.env, FOYER_URL: undefined, FOYER_TOKEN: undefined, ...env };
    execFile(
      process.execPath,
      [bin, ...args],
      { env: merged as NodeJS.ProcessEnv },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const job = (state: string, extra: Record<string, unknown> = {}) => ({
  id: 'job-1',
  kind: 'install',
  installId: 'web',
  state,
  step: null,
  error: null,
  actor: 'local',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  ...extra,
});

const install = {
  id: 'web',
  app: 'web',
  version: '1.0.0-1',
  available: '1.1.0-1',
  catalog: 'listed',
  settings: { GREETING: 'hi' },
  acceptedPermissions: [],
  desired: 'running',
  status: {
    state: 'running',
    services: [
      { name: 'web', state: 'running', health: 'healthy', restarts: 0, healthRestarts: 0 },
    ],
  },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

const resources = {
  at: '2026-01-01T00:01:00.000Z',
  cpuPercent: 2.5,
  memoryBytes: 12 * 1024 * 1024,
  diskBytes: { volumes: 1024 * 1024, images: 4.5 * 1024 * 1024 },
  history: [{ at: '2026-01-01T00:00:00.000Z', cpuPercent: null, memoryBytes: 11 * 1024 * 1024 }],
};

const kept = { install: 'old', app: 'web', volumes: ['old_www'], folder: null };

const apps = [
  {
    id: 'web',
    name: 'Web',
    version: '1',
    categories: [],
    requirements: {},
    permissions: [],
    hasIcon: false,
  },
  {
    id: 'powerful',
    name: 'Powerful',
    version: '1',
    categories: [],
    requirements: {},
    permissions: [
      { permission: 'cap_add:NET_ADMIN', description: 'the Linux capability NET_ADMIN' },
    ],
    hasIcon: false,
  },
];

/** What the fake daemon does after accepting a change: the events it sends, in order. */
type Script = (send: (event: string, data: unknown) => void, end: () => void) => void;

class FakeDaemon {
  requests: { method: string; url: string; body: unknown; authorization?: string }[] = [];
  script: Script = () => {};
  /** The job as `GET /api/jobs/:id` shows it. */
  jobState: Record<string, unknown> = job('running');
  private streams = new Set<ServerResponse>();
  readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      url,
      body: body ? JSON.parse(body) : undefined,
      authorization: req.headers.authorization,
    });
    const reply = (status: number, answer: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    };
    if (url === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    if (url === '/api/apps') return reply(200, apps);
    if (url.startsWith('/api/apps/')) {
      const app = apps.find((a) => a.id === url.slice('/api/apps/'.length));
      if (app) return reply(200, app);
      return reply(404, { code: 'FOYER_APP_NOT_FOUND', statusCode: 404, message: 'no app' });
    }
    if (url === '/api/installs' && req.method === 'GET') return reply(200, [install]);
    if (url === '/api/installs' && req.method === 'POST') {
      const asked = JSON.parse(body) as {
        settings?: Record<string, string>;
        allowInsufficientResources?: boolean;
      };
      const settings = asked.settings;
      if (settings?.BIG !== undefined && !asked.allowInsufficientResources) {
        return reply(409, {
          code: 'FOYER_INSUFFICIENT_RESOURCES',
          statusCode: 409,
          message: 'requirements.memory: the app needs 4 TiB, 3 GiB of memory are free',
          problems: [
            {
              path: 'requirements.memory',
              message: 'the app needs 4 TiB, 3 GiB of memory are free',
            },
          ],
        });
      }
      if (settings?.NOPE !== undefined) {
        return reply(400, {
          code: 'FOYER_INVALID_SETTINGS',
          statusCode: 400,
          message: 'settings.NOPE: is not a setting of this app',
          problems: [{ path: 'settings.NOPE', message: 'is not a setting of this app' }],
        });
      }
      reply(202, { install, job: job('running') });
      const send = (event: string, data: unknown) => {
        for (const s of this.streams) s.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const end = () => {
        for (const s of this.streams) s.end();
      };
      setTimeout(() => this.script(send, end), 50);
      return;
    }
    if (url === '/api/installs/web') return reply(200, install);
    if (url === '/api/installs/web/resources') return reply(200, resources);
    if (url === '/api/members/erin?data=delete' && req.method === 'DELETE') {
      const place = { install: 'mail', volume: 'mail', path: 'members/erin' };
      return reply(200, {
        name: 'erin',
        data: 'delete',
        deleted: [],
        failed: [{ ...place, error: 'mail-dovecot-1 does not exist' }],
      });
    }
    if (url === '/api/members/pending-data' || url === '/api/members/pending-data/retry') {
      const pending = [
        {
          member: 'erin',
          install: 'mail',
          service: 'dovecot',
          volume: 'mail',
          path: 'members/erin',
          attempts: 2,
          lastError: 'mail-dovecot-1 does not exist',
          createdAt: '2026-12-06T10:00:00.000Z',
          lastAttemptAt: '2026-12-06T10:01:00.000Z',
          nextAttemptAt: '2026-12-06T10:03:00.000Z',
        },
      ];
      return reply(200, { pending, deleted: [], dropped: [] });
    }
    if (url === '/api/kept-data') return reply(200, [kept]);
    if (url === '/api/kept-data/old' && req.method === 'DELETE') {
      return reply(200, { deleted: kept, job: job('succeeded', { kind: 'delete-data' }) });
    }
    if (url.startsWith('/api/jobs/')) return reply(200, this.jobState);
    if (url.startsWith('/api/installs/web/logs')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('web | starting\nweb | ready\n');
      return;
    }
    reply(404, {
      code: 'FOYER_NOT_FOUND',
      statusCode: 404,
      message: `no route ${req.method} ${url}`,
    });
  }

  reset() {
    this.requests = [];
    this.script = () => {};
    this.jobState = job('running');
  }
}

function step(
  index: number,
  total: number,
  kind: string,
  service: string,
  phase: 'start' | 'done' = 'start',
): ProgressEvent {
  return {
    install: 'web',
    job: 'job-1',
    kind: 'step',
    index,
    total,
    operation: { kind, service },
    phase,
  };
}

describe('foyer client verbs against a fake daemon', () => {
  const daemon = new FakeDaemon();
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-cli-client-'));
  const env = { FOYER_DATA_DIR: dataDir };
  const tcp = new FakeDaemon();
  let url = '';

  before(async () => {
    await new Promise<void>((r) => daemon.server.listen(join(dataDir, 'foyer.sock'), r));
    await new Promise<void>((r) => tcp.server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(tcp.server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const fake of [daemon, tcp]) {
      fake.server.closeAllConnections();
      fake.server.close();
    }
  });
  beforeEach(() => {
    daemon.reset();
    tcp.reset();
  });

  test('status prints a table, and --json the daemon’s answer', async () => {
    const table = await foyer(['status'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^INSTALL\s+APP\s+VERSION\s+CATALOGUE\s+STATE\s+REASON\nweb\s+web\s+1\.0\.0-1\s+update: 1\.1\.0-1\s+running\n$/,
    );
    const one = await foyer(['status', 'web', '--json'], env);
    assert.deepEqual(JSON.parse(one.stdout), { ...install, resources });
    // One install in words: its figures beside its state (issue 12 §4).
    const text = await foyer(['status', 'web'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /cpu:\s+2\.5% of one core\n/);
    assert.match(text.stdout, /memory:\s+12 MiB\n/);
    assert.match(text.stdout, /disk:\s+1 MiB in volumes, 4\.5 MiB of images\n/);
  });

  test('install --wait prints one plain line per step and exits 1 with the job’s error when it fails', async () => {
    daemon.script = (send) => {
      send('progress', step(1, 2, 'PullImage', 'web'));
      send('progress', {
        install: 'web',
        kind: 'image',
        service: 'web',
        progress: { kind: 'pull', layer: 'abc', status: 'Downloading', current: 5, total: 10 },
      });
      send('progress', step(1, 2, 'PullImage', 'web', 'done'));
      send('progress', step(2, 2, 'StartContainer', 'web'));
      send('progress', { ...step(1, 1, 'StartContainer', 'other'), install: 'other' });
      send('job', job('failed', { error: 'web exited with code 3' }));
    };
    const run = await foyer(['install', 'web', '--set', 'GREETING=hi', '--wait'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '1/2 PullImage web\n2/2 StartContainer web\n');
    assert.match(run.stderr, /install of web failed: web exited with code 3/);
    const post = daemon.requests.find((r) => r.method === 'POST');
    assert.deepEqual(post?.body, { app: 'web', settings: { GREETING: 'hi' } });
    // The event stream was open before the change was sent, so no event can be missed.
    const order = daemon.requests.map((r) => `${r.method} ${r.url}`);
    assert.ok(
      order.indexOf('GET /api/events') < order.indexOf('POST /api/installs'),
      order.join(', '),
    );
  });

  test('install --wait exits 0 when the job succeeds; --json keeps stdout for the JSON', async () => {
    daemon.script = (send) => {
      send('progress', step(1, 1, 'StartContainer', 'web'));
      send('job', job('succeeded'));
    };
    const run = await foyer(['install', 'web', '--wait', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.job.state, 'succeeded');
    assert.equal(result.install.id, 'web');
    assert.match(run.stderr, /1\/1 StartContainer web/);
  });

  test('a job that finished inside the request is not waited for', async () => {
    daemon.jobState = job('succeeded');
    const run = await foyer(['install', 'web', '--wait'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Installed web\n');
  });

  test('when the event stream ends early the job is polled to its end', async () => {
    daemon.script = (_send, end) => {
      end();
      setTimeout(() => {
        daemon.jobState = job('succeeded');
      }, 300);
    };
    const run = await foyer(['install', 'web', '--wait'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Installed web\n');
  });

  test('a refused request exits 1 with code: message and a path: message line per problem', async () => {
    const run = await foyer(['install', 'web', '--set', 'NOPE=1'], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^foyer: FOYER_INVALID_SETTINGS: /m);
    assert.match(run.stderr, /^settings\.NOPE: is not a setting of this app$/m);
    const missing = await foyer(['install', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /FOYER_APP_NOT_FOUND: no app/);
  });

  test('an app too big for the server is refused with both figures; --ignore-requirements installs it', async () => {
    const refused = await foyer(['install', 'web', '--set', 'BIG=1'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /requirements\.memory: the app needs 4 TiB, 3 GiB of memory are free\n.*--ignore-requirements/s,
    );
    const accepted = await foyer(
      ['install', 'web', '--set', 'BIG=1', '--ignore-requirements'],
      env,
    );
    assert.equal(accepted.code, 0, accepted.stderr);
    const posts = daemon.requests.filter((r) => r.method === 'POST');
    assert.deepEqual(
      posts.map(
        (r) => (r.body as { allowInsufficientResources?: boolean }).allowInsufficientResources,
      ),
      [undefined, true],
    );
  });

  test('permissions are shown in plain words and must be accepted', async () => {
    const refused = await foyer(['install', 'powerful'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the Linux capability NET_ADMIN \(cap_add:NET_ADMIN\)/);
    assert.match(refused.stderr, /--accept-permissions/);
    assert.equal(daemon.requests.filter((r) => r.method === 'POST').length, 0);
    const accepted = await foyer(
      ['install', 'powerful', '--accept-permissions', '--id', 'p1'],
      env,
    );
    assert.equal(accepted.code, 0, accepted.stderr);
    const post = daemon.requests.find((r) => r.method === 'POST');
    assert.deepEqual(post?.body, {
      app: 'powerful',
      id: 'p1',
      acceptPermissions: ['cap_add:NET_ADMIN'],
    });
  });

  test('logs copies the text; --json makes one object a line', async () => {
    const text = await foyer(['logs', 'web', '--tail', '5', '--timestamps'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, 'web | starting\nweb | ready\n');
    assert.ok(
      daemon.requests.some((r) => r.url === '/api/installs/web/logs?tail=5&timestamps=true'),
    );
    const lines = await foyer(['logs', 'web', '--json'], env);
    assert.deepEqual(
      lines.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [
        { service: 'web', line: 'starting' },
        { service: 'web', line: 'ready' },
      ],
    );
  });

  test('FOYER_URL goes over TCP with the token as a Bearer credential', async () => {
    const run = await foyer(['apps', '--json'], { FOYER_URL: url, FOYER_TOKEN: 'tok-123' });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(run.stdout).map((a: { id: string }) => a.id),
      ['web', 'powerful'],
    );
    assert.equal(tcp.requests[0]?.authorization, 'Bearer tok-123');
    assert.equal(daemon.requests.length, 0);
  });

  test('data lists kept data and data rm deletes one install’s, without asking when told --yes', async () => {
    const list = await foyer(['data'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^INSTALL\s+APP\s+VOLUMES\s+FOLDER\nold\s+web\s+old_www\s+-\n/);
    assert.match(list.stdout, /foyer data rm <install>/);
    const removed = await foyer(['data', 'rm', 'old', '--yes'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'Deleted the kept data of old (1 volume)\n');
    assert.deepEqual(
      daemon.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /api/kept-data', 'DELETE /api/kept-data/old'],
    );
    const usage = await foyer(['data', 'rm'], env);
    assert.equal(usage.code, 2);
  });

  test('members remove --delete-data says what failed will be retried; pending-data lists it', async () => {
    const removed = await foyer(['members', 'remove', 'erin', '--delete-data'], env);
    assert.equal(removed.code, 1);
    assert.equal(removed.stdout, 'Removed erin, but not all their data was deleted\n');
    assert.equal(
      removed.stderr,
      'not deleted: mail mail:members/erin: mail-dovecot-1 does not exist\n' +
        'The daemon keeps trying to delete them (and the name stays taken until it has); see foyer members pending-data\n',
    );
    const listed = await foyer(['members', 'pending-data'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      /^MEMBER\s+INSTALL\s+PLACE\s+TRIES\s+NEXT TRY\s+LAST ERROR\nerin\s+mail\s+mail:members\/erin\s+2\s+2026-12-06T10:03:00.000Z\s+mail-dovecot-1 does not exist\n$/,
    );
    const retried = await foyer(['members', 'pending-data', '--retry', '--json'], env);
    assert.equal(retried.code, 1, 'still pending after the retry');
    assert.equal(JSON.parse(retried.stdout)[0].member, 'erin');
    assert.deepEqual(
      daemon.requests.map((r) => `${r.method} ${r.url}`),
      [
        'DELETE /api/members/erin?data=delete',
        'GET /api/members/pending-data',
        'POST /api/members/pending-data/retry',
      ],
    );
  });

  test('usage errors exit 2, an unreachable daemon exits 3 and says where it looked', async () => {
    assert.equal((await foyer(['frobnicate'], env)).code, 2);
    const noApp = await foyer(['install'], env);
    assert.equal(noApp.code, 2);
    assert.match(noApp.stderr, /usage: foyer install <app>/);
    assert.equal((await foyer(['status', '--bogus'], env)).code, 2);
    assert.equal((await foyer(['set', 'web', 'NOEQUALS'], env)).code, 2);
    const gone = mkdtempSync(join(tmpdir(), 'foyer-nodaemon-'));
    const socket = await foyer(['status'], { FOYER_DATA_DIR: gone });
    assert.equal(socket.code, 3);
    assert.match(socket.stderr, new RegExp(`${join(gone, 'foyer.sock')}.*\\n.*foyer serve`));
    const tcpGone = await foyer(['status'], { FOYER_URL: 'http://127.0.0.1:1' });
    assert.equal(tcpGone.code, 3);
    assert.match(tcpGone.stderr, /FOYER_URL=http:\/\/127\.0\.0\.1:1\//);
  });
});

describe('client pieces', () => {
  test('the client finds the data dir where the daemon puts it', () => {
    for (const env of [{}, { FOYER_DATA_DIR: '/srv/foyer' }]) {
      assert.equal(clientDataDir(env), defaultDataDir(env));
    }
  });

  test('server-sent events are parsed across chunk boundaries, CRLF and comments', async () => {
    async function* chunks() {
      yield ': keep-alive\n\nevent: job\nda';
      yield 'ta: {"a":1}\r';
      yield '\n\r\nevent: progress\ndata: line1\ndata: line2\n';
      yield '\n';
    }
    const events = [];
    for await (const e of serverEvents(chunks())) events.push(e);
    assert.deepEqual(events, [
      { event: 'job', data: '{"a":1}' },
      { event: 'progress', data: 'line1\nline2' },
    ]);
  });

  test('the terminal display redraws in place, keeping finished steps above', () => {
    let tty = '';
    const stream = { isTTY: true, columns: 60, write: (t: string) => (tty += t) };
    const display = createProgress(stream, 'Installing web') as TerminalProgress;
    display.progress(step(1, 3, 'PullImage', 'web'));
    display.progress({
      install: 'web',
      kind: 'image',
      service: 'web',
      progress: {
        kind: 'pull',
        layer: 'abcdef0123456789',
        status: 'Downloading',
        current: 1_500_000,
        total: 3_000_000,
      },
    });
    display.status({ install: 'web', state: 'installing' });
    assert.match(
      display.lines()[0] ?? '',
      /^. Installing web · 1\/3 PullImage web \(installing\)$/,
    );
    assert.deepEqual(display.lines().slice(1), [
      '    abcdef012345  Downloading  [==========>         ] 1.5 MB/3.0 MB',
    ]);
    display.progress(step(1, 3, 'PullImage', 'web', 'done'));
    display.progress(step(2, 3, 'BuildImage', 'api'));
    display.progress({
      install: 'web',
      kind: 'image',
      service: 'api',
      progress: { kind: 'build', line: 'Step 2/4 : RUN apt-get install \x1b[31mthings\n' },
    });
    // The layers belonged to the pull; a build shows its last line, without its escapes.
    assert.deepEqual(display.lines().slice(1), ['    Step 2/4 : RUN apt-get install [31mthings']);
    display.stop();
    assert.match(tty, /Installing web · 1\/3 PullImage web/);
    assert.match(
      tty,
      /\x1b\[\d+A\r\x1b\[J {2}✓ 1\/3 PullImage web\n. Installing web \(installing\)\n\x1b/,
    );
    assert.match(tty, /\x1b\[1A\r\x1b\[J. Installing web · 2\/3 BuildImage api/);
    assert.ok(tty.endsWith('\x1b[?25h'), 'the cursor is shown again');
    for (const line of tty.split('\n')) {
      assert.ok(line.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, '').length <= 60, line);
    }
  });

  test('the plain display writes one line per step and no control characters', () => {
    let text = '';
    const display = createProgress(
      { isTTY: false, write: (t: string) => (text += t) },
      'Installing',
    );
    const network = { kind: 'CreateNetwork', name: 'web_default' };
    display.progress({
      install: 'web',
      kind: 'step',
      index: 1,
      total: 2,
      operation: network,
      phase: 'start',
    });
    display.progress({
      install: 'web',
      kind: 'image',
      service: 'web',
      progress: { kind: 'build', line: 'noise' },
    });
    display.progress({
      install: 'web',
      kind: 'step',
      index: 1,
      total: 2,
      operation: network,
      phase: 'done',
    });
    display.stop();
    assert.equal(text, '1/2 CreateNetwork web_default\n');
  });

  test('byte counts read as people write them', () => {
    assert.equal(bytes(512), '512 B');
    assert.equal(bytes(1_234_567), '1.2 MB');
  });
});
