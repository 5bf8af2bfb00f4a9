// The daemon as people run it (`node bin/foyer.js serve`, compiled code and the built UI: run
// `npm run build` first) on a free loopback port with the test catalogue, for the e2e tier and
// the UI bench. Its HTTP client signs in like a browser: session cookie, same-origin header.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { instanceId } from '../../server/paths.js';
import { launchBrowser, newContext } from './browser.js';
import { explainDaemon } from './cli.js';
import type { TestEngine } from './engine.js';
import { explainFailuresWith } from './failure-context.js';
import { type DaemonProcess, eventually, spawnDaemon, TEST_CATALOG } from './foyer.js';
import { removeLabelled } from './leftovers.js';

export interface UiDaemon {
  /** The daemon's address, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly dataDir: string;
  readonly process: DaemonProcess;
  /** The one-time first-run code the daemon wrote to its data dir. */
  setupCode(): string;
  /** One API call with this client's session (if any); JSON in and out. */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Completes first-run setup as this admin; the client keeps the session. */
  setup(username: string, password: string): Promise<void>;
  /** The session cookie's value, to hand to a browser context. */
  session(): string | undefined;
  /** Stops the daemon (SIGTERM, then SIGKILL after 10 s); its containers keep running. */
  stop(): Promise<void>;
  /** Force-removes every container, network and volume of this daemon's instance. */
  removeObjects(): Promise<void>;
}

/**
 * Starts `foyer serve` on the engine with a fresh data dir (or `dataDir`, one a test filled
 * beforehand); resolves once the API answers.
 */
export async function startUiDaemon(
  engine: TestEngine,
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<UiDaemon> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'foyer-ui-data-'));
  const daemon = spawnDaemon(engine, dataDir, {
    FOYER_CATALOG: TEST_CATALOG,
    FOYER_LOG_LEVEL: process.env.FOYER_TEST_LOG ? 'info' : 'warn',
    ...options.env,
  });
  let url: string;
  try {
    url = await eventually(
      'the daemon to listen',
      () => {
        if (daemon.child.exitCode !== null)
          throw new Error(`the daemon exited: ${daemon.output()}`);
        return /Foyer is running at (http:\/\/[^/\s]+)\//.exec(daemon.output())?.[1];
      },
      30_000,
    );
  } catch (error) {
    await daemon.kill();
    throw new Error(`${(error as Error).message}\n${daemon.output()}`);
  }
  let cookie: string | undefined;

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        origin: url,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookie ? { cookie: `foyer_session=${cookie}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const set = /foyer_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (set) cookie = set;
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  explainFailuresWith(async () => {
    const jobs = await api<{ kind: string; installId: string | null; state: string }[]>(
      'GET',
      '/api/jobs?limit=6',
    ).catch((error) => ({ status: 0, body: `${error}` }));
    const recent = Array.isArray(jobs.body)
      ? jobs.body.map((j) => `${j.kind} ${j.installId ?? '-'} ${j.state}`).join('\n')
      : `${jobs.status} ${JSON.stringify(jobs.body)}`;
    return `${await explainDaemon(engine, dataDir, daemon)}\n-- recent jobs:\n${recent}`;
  });

  return {
    url,
    dataDir,
    process: daemon,
    setupCode: () => readFileSync(join(dataDir, 'setup-code'), 'utf8').trim(),
    api,
    async setup(username, password) {
      const res = await api('POST', '/api/setup', {
        code: readFileSync(join(dataDir, 'setup-code'), 'utf8').trim(),
        username,
        password,
      });
      if (res.status !== 201) throw new Error(`setup: ${res.status} ${JSON.stringify(res.body)}`);
    },
    session: () => cookie,
    async stop() {
      // A graceful close first (it leaves containers running, as in production), then a kill.
      const timer = setTimeout(() => daemon.child.kill('SIGKILL'), 10_000);
      await daemon.kill('SIGTERM');
      clearTimeout(timer);
    },
    removeObjects: () => removeLabelled(engine, `foyer.instance=${instanceId(dataDir)}`),
  };
}

/** A desktop browser context that carries the daemon client's session, as a signed-in person. */
export async function signedInContext(browser: Browser, daemon: UiDaemon): Promise<BrowserContext> {
  const context = await newContext(browser, 'desktop');
  await context.addCookies([
    {
      name: 'foyer_session',
      value: daemon.session() ?? '',
      domain: new URL(daemon.url).hostname,
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
    },
  ]);
  return context;
}

/** A browser with one signed-in desktop page, as most e2e tests open it once set up. */
export interface SignedInBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/** Launches Chromium with the daemon client's session and opens a page (15 s per step). */
export async function openSignedIn(daemon: UiDaemon): Promise<SignedInBrowser> {
  const browser = await launchBrowser();
  const context = await signedInContext(browser, daemon);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { browser, context, page };
}

/** Closes the browser (if one was opened), stops the daemon and removes what it made. */
export async function closeAll(ui: SignedInBrowser | undefined, daemon: UiDaemon | undefined) {
  try {
    await ui?.context.close();
    await ui?.browser.close();
  } finally {
    await daemon?.stop();
    await daemon?.removeObjects();
  }
}

/** Installs `app` as `id` through the API and waits until it runs. */
export async function installRunning(daemon: UiDaemon, app: string, id = app): Promise<void> {
  const installed = await daemon.api('POST', '/api/installs', { app, id });
  if (installed.status !== 202)
    throw new Error(`install ${app}: ${installed.status} ${JSON.stringify(installed.body)}`);
  await eventually(
    `${id} to run`,
    async () =>
      (await daemon.api<{ status: { state: string } | null }>('GET', `/api/installs/${id}`)).body
        .status?.state === 'running',
    120_000,
  );
  // The install job ends a moment after the app runs (the running state must hold): a screen
  // opened before then rightly waits for it before it lets another change start.
  await eventually(
    `${id}'s install job to end`,
    async () => {
      const jobs = await daemon.api<{ state: string }[]>('GET', `/api/jobs?install=${id}`);
      return jobs.body.every((job) => job.state !== 'running');
    },
    30_000,
  );
}
