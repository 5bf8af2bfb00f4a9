/**
 * `npm run bench:ui`: the web UI as a browser gets it from `foyer serve` (the
 * compiled daemon and `ui/dist`: run `npm run build` first), in Debian's
 * headless Chromium. Reports:
 * - the JavaScript and CSS shipped on first load of `/`, signed out (the
 *   login screen) and signed in (the dashboard): every script and stylesheet
 *   response Chromium received, each body gzipped at level 9 (target: at most
 *   80 KB gzipped);
 * - time to interactive of the dashboard with 20 running installs of the
 *   test `web` app, in a fresh context each round (cold cache): from
 *   navigation start to the 20th install card in the DOM, and to a click
 *   sent as soon as it is there being handled by the page (TTI; the click
 *   goes through Playwright, so TTI includes one round trip to this script,
 *   and "click wait" is how long the click then waited for the page's main
 *   thread). Median of BENCH_ROUNDS (default 5).
 *
 * Uses the engine named by FOYER_TEST_DOCKER_HOST, else starts a private one.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { launchBrowser, newContext } from '../test/support/browser.js';
import { eventually } from '../test/support/foyer.js';
import { startUiDaemon, type UiDaemon } from '../test/support/ui-daemon.js';

const INSTALLS = Number(process.env.BENCH_INSTALLS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** What one install's card on the dashboard is: a link to its app page. */
const CARD = process.env.BENCH_CARD_SELECTOR ?? 'a[href^="#/apps/"]';
const BUDGET_KB = 80;
const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

interface FirstLoad {
  /** Body bytes, gzip -9 bytes, and the bytes as served (with the daemon's Content-Encoding). */
  files: { url: string; type: string; raw: number; gz: number; sent: number; encoding: string }[];
}

/** Loads `/` in a fresh context and gzips every script and stylesheet the page received. */
async function firstLoad(browser: Browser, daemon: UiDaemon, signedIn: boolean) {
  const context = await newContext(browser, 'desktop');
  if (signedIn) await addSession(context, daemon);
  const page = await context.newPage();
  const bodies: Promise<FirstLoad['files'][number] | undefined>[] = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    bodies.push(
      Promise.all([res.body(), res.request().sizes(), res.headerValue('content-encoding')])
        .then(([body, sizes, encoding]) => ({
          url: new URL(res.url()).pathname,
          type,
          raw: body.length,
          gz: gzipSync(body, { level: 9 }).length,
          sent: sizes.responseBodySize,
          encoding: encoding ?? 'identity',
        }))
        .catch(() => undefined),
    );
  });
  await page.goto(`${daemon.url}/`, { waitUntil: 'networkidle' });
  if (signedIn)
    await page
      .locator(CARD)
      .nth(INSTALLS - 1)
      .waitFor({ timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  const files = (await Promise.all(bodies)).filter((f) => f !== undefined);
  await context.close();
  return { files };
}

async function addSession(context: Awaited<ReturnType<typeof newContext>>, daemon: UiDaemon) {
  const session = daemon.session();
  if (!session) throw new Error('no session');
  await context.addCookies([{ name: 'foyer_session', value: session, url: daemon.url }]);
}

/** One cold load of the dashboard: ms from navigation start to 20 cards, and to a click handled. */
async function timeToInteractive(browser: Browser, daemon: UiDaemon) {
  const context = await newContext(browser, 'desktop');
  await addSession(context, daemon);
  const page: Page = await context.newPage();
  let ready: () => void = () => {};
  const cardsThere = new Promise<void>((resolve) => {
    ready = resolve;
  });
  await page.exposeFunction('__benchCardsThere', () => ready());
  // Runs before the app's code: watches the DOM for the last card and records the first click.
  // (No named functions inside: tsx would wrap them in a `__name` helper the page lacks.)
  await page.addInitScript(
    ({ selector, count }) => {
      const w = window as unknown as Record<string, unknown>;
      const observer = new MutationObserver(() => {
        if (document.querySelectorAll(selector).length < count) return;
        observer.disconnect();
        w.__benchCards = performance.now();
        (w.__benchCardsThere as () => void)();
      });
      observer.observe(document, { childList: true, subtree: true });
      window.addEventListener(
        'click',
        (event) => {
          w.__benchClick ??= performance.now();
          // How long the click waited for the page's main thread.
          w.__benchClickWait ??= performance.now() - event.timeStamp;
        },
        { capture: true },
      );
    },
    { selector: CARD, count: INSTALLS },
  );
  await page.goto(`${daemon.url}/`, { waitUntil: 'commit' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    cardsThere,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${INSTALLS} cards (${CARD}) in 60 s`)), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  // A click on the page's top-left corner: the page must be free to take input.
  await page.mouse.click(2, 2);
  const times = await page.waitForFunction(() => {
    const w = window as unknown as Record<string, number | undefined>;
    return w.__benchClick === undefined
      ? undefined
      : { cards: w.__benchCards!, click: w.__benchClick, wait: w.__benchClickWait! };
  });
  const result = (await times.jsonValue()) as { cards: number; click: number; wait: number };
  const paint = await page.evaluate(
    () =>
      performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')
        ?.startTime ?? Number.NaN,
  );
  await context.close();
  return { ...result, paint };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

const { engine, stop } = await openBenchEngine();
let daemon: UiDaemon | undefined;
let browser: Browser | undefined;
let cleaning: Promise<void> | undefined;
// An interrupted run still removes its containers and its private engine.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp().finally(() => process.exit(130));
  });
}
try {
  daemon = await startUiDaemon(engine);
  await daemon.setup(ADMIN.username, ADMIN.password);
  const started = performance.now();
  for (let i = 0; i < INSTALLS; i++) {
    const res = await daemon.api('POST', '/api/installs', {
      app: 'web',
      id: `bench-${i}`,
      settings: { GREETING: `hello ${i}` },
    });
    if (res.status !== 202) throw new Error(`install ${i}: ${JSON.stringify(res.body)}`);
  }
  const d = daemon;
  await eventually(
    `${INSTALLS} installs running`,
    async () => {
      const { body } = await d.api<{ status: { state: string } | null }[]>('GET', '/api/installs');
      return body.filter((i) => i.status?.state === 'running').length >= INSTALLS;
    },
    300_000,
  );
  console.log(
    `ui bench: ${INSTALLS} installs of the test app running (${((performance.now() - started) / 1000).toFixed(1)} s to set up), node ${process.version}`,
  );

  browser = await launchBrowser();
  console.log(`  headless Chromium ${browser.version()} (Debian's, through playwright-core)`);
  console.log('\n  first load of /: script and stylesheet responses, gzip -9');
  console.log(
    `  ${'screen'.padEnd(10)} ${'file'.padEnd(36)} ${'raw KB'.padStart(8)} ${'gz -9 KB'.padStart(9)} ${'sent KB'.padStart(8)}`,
  );
  let worst = 0;
  for (const signedIn of [false, true]) {
    const { files } = await firstLoad(browser, daemon, signedIn);
    const screen = signedIn ? 'dashboard' : 'login';
    for (const f of files)
      console.log(
        `  ${screen.padEnd(10)} ${f.url.slice(0, 36).padEnd(36)} ${kb(f.raw).padStart(8)} ${kb(f.gz).padStart(9)} ${kb(f.sent).padStart(8)} ${f.encoding}`,
      );
    const raw = files.reduce((n, f) => n + f.raw, 0);
    const gz = files.reduce((n, f) => n + f.gz, 0);
    const sent = files.reduce((n, f) => n + f.sent, 0);
    worst = Math.max(worst, gz);
    console.log(
      `  ${screen.padEnd(10)} ${`total (${files.length} files)`.padEnd(36)} ${kb(raw).padStart(8)} ${kb(gz).padStart(9)} ${kb(sent).padStart(8)}`,
    );
  }
  console.log(
    `  => first load: ${kb(worst)} KB gzipped at most — budget ${BUDGET_KB} KB: ${worst <= BUDGET_KB * 1024 ? 'within' : 'OVER'}`,
  );

  console.log(`\n  dashboard time to interactive, ${INSTALLS} installs, cold context each round`);
  const columns = ['FCP', 'cards', 'TTI', 'click wait'] as const;
  const row = (label: string, values: number[]) =>
    `  ${label.padEnd(6)} ${values.map((v) => `${v.toFixed(0)} ms`.padStart(11)).join(' ')}`;
  console.log(`  ${'round'.padEnd(6)} ${columns.map((c) => c.padStart(11)).join(' ')}`);
  const rounds: number[][] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await timeToInteractive(browser, daemon);
    rounds.push([r.paint, r.cards, r.click, r.wait]);
    console.log(row(String(i + 1), rounds.at(-1)!));
  }
  const medians = columns.map((_, c) => median(rounds.map((r) => r[c]!)));
  console.log(row('median', medians));
  console.log(
    `  => dashboard with ${INSTALLS} installs interactive in ${medians[2]!.toFixed(0)} ms (median of ${ROUNDS})`,
  );
} finally {
  await cleanUp();
}

/** Closes the browser, stops the daemon, removes its objects and the engine; once. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await daemon?.stop();
    await daemon?.removeObjects().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    await stop();
  })();
  return cleaning;
}
