// Small steps the UI end-to-end tests share: waiting for what a person would see, and a
// screenshot of the current screen at desktop and phone width. playwright-core has no
// `expect`, so waits are locator.waitFor() with a message that says what was missing.
import type { Locator, Page } from 'playwright-core';
import { screenshot, VIEWPORTS } from '../support/browser.js';
import { failureContext } from '../support/failure-context.js';

/** Waits until `locator` is visible; fails with `what` and the page's visible text. */
export async function see(locator: Locator, what: string, timeout = 15_000): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    // What a screen reader would get: roles, names and text of the main region.
    const shown = await locator
      .page()
      .locator('main')
      .ariaSnapshot({ timeout: 1000 })
      .catch(() => '(no main)');
    const daemon = await failureContext();
    if (daemon) process.stderr.write(`not shown: ${what}; the daemon says:\n${daemon}\n`);
    throw new Error(
      `not shown: ${what}\n--- the page shows:\n${shown.slice(0, 2000)}${daemon ? `\n--- the daemon says:\n${daemon.slice(-2000)}` : ''}`,
    );
  }
  return locator.first();
}

/** Waits until the screen's heading (its one h1) reads `name`. */
export function heading(page: Page, name: string | RegExp, timeout?: number): Promise<Locator> {
  return see(
    page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' }),
    `heading "${name}"`,
    timeout,
  );
}

/**
 * Screenshots of the screen as it is now, at desktop size and then at phone width (the same
 * page resized, so a screen that lasts only seconds, such as progress, is caught at both).
 */
export async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const desktop = page.viewportSize();
  await page.setViewportSize(VIEWPORTS.phone.viewport);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
  await screenshot(page, name);
  if (desktop) await page.setViewportSize(desktop);
}
