// Headless Chromium for the e2e tier and the UI bench: Debian's `chromium` package driven by
// playwright-core (never a browser build of Playwright's own: nothing but the package
// registries is reachable here), with a desktop and a phone context and a screenshot helper.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { findCommand, run } from './exec.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The exact command a user must run when we cannot install Chromium ourselves. */
export const CHROMIUM_INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = join(repoRoot, 'test-results/screenshots');

/** The two sizes every screen is checked at. */
export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  phone: {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

let checked: Promise<void> | undefined;

/** Ensures Debian's Chromium is installed (apt-get as root), or fails with the command to run. */
export function ensureChromium(): Promise<void> {
  checked ??= installChromium().catch((e: unknown) => {
    checked = undefined;
    throw e;
  });
  return checked;
}

async function installChromium(): Promise<void> {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.getuid?.() !== 0 || !findCommand('apt-get')) {
    throw new Error(
      `The e2e tier needs Debian's Chromium at ${CHROMIUM_PATH}.\n` +
        `Install it as root with:\n  ${CHROMIUM_INSTALL_COMMAND}`,
    );
  }
  process.stderr.write('foyer-test: installing chromium with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', 'chromium'], { env });
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get did not provide ${CHROMIUM_PATH}; run: ${CHROMIUM_INSTALL_COMMAND}`);
  }
}

/** Launches headless Chromium (installing it first when missing). */
export async function launchBrowser(): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A fresh context (own cookies and storage) at desktop or phone size. */
export function newContext(
  browser: Browser,
  size: ViewportName,
  options: { locale?: string; colorScheme?: 'light' | 'dark'; baseURL?: string } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    ...VIEWPORTS[size],
    locale: options.locale ?? 'en-GB',
    colorScheme: options.colorScheme ?? 'light',
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  });
}

/** Which size a page was opened at, from its viewport width. */
export function sizeOf(page: Page): ViewportName {
  return (page.viewportSize()?.width ?? 1280) < 700 ? 'phone' : 'desktop';
}

/** Saves a full-page screenshot to test-results/screenshots/<name>-<desktop|phone>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}-${sizeOf(page)}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}
