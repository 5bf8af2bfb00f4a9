/**
 * `foyer update <install> --check` and `foyer update <install> --auto on|off
 * [--window HH:MM-HH:MM]` (issue 15): check the install's built images
 * against Debian's archive now, and turn its automatic updates on or off.
 * `foyer update <install> [--wait]` without these flags updates, as before.
 */
import type { Static } from '@sinclair/typebox';
import type { DebianOfferReply } from '../routes/schemas.js';
import { seg, type UpdatePreviewReply } from './api.js';
import type { DaemonClient } from './client.js';
import { EXIT, FailedError, json, out, UsageError } from './output.js';

type DebianOffer = Static<typeof DebianOfferReply>;

interface AutoUpdate {
  enabled: boolean;
  window: string;
  lastOffer: string | null;
  lastAt: string | null;
}

/** How long `--check` waits for apt (a slow mirror). */
const CHECK_LIMIT_MS = 11 * 60_000;

/** Debian's offer, for a person: `security updates from Debian: openssl 3.0.11 → 3.0.13, …`. */
export function debianSummary(debian: DebianOffer): string {
  const lines: string[] = [];
  if (debian.packages.length > 0) {
    const security = debian.packages.some((p) => p.security);
    lines.push(
      `${security ? 'security updates' : 'updates'} from Debian for the images built here:`,
    );
    for (const p of debian.packages)
      lines.push(`  ${p.name} ${p.from} → ${p.to}${p.security ? ' (security)' : ''}`);
  }
  for (const p of debian.problems) lines.push(`  ${p.service}: not checked: ${p.error}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** `--check`: starts a check, waits for it, prints what Debian offers. */
export async function checkNow(
  client: DaemonClient,
  id: string,
  asJson: boolean | undefined,
): Promise<number> {
  await client.json('POST', `/api/installs/${seg(id)}/update/check`);
  const deadline = Date.now() + CHECK_LIMIT_MS;
  for (;;) {
    const preview = await client.get<UpdatePreviewReply>(`/api/installs/${seg(id)}/update`);
    if (!preview.debian.checking) {
      if (asJson) out(json(preview.debian));
      else if (preview.debian.checkedAt === null)
        out(`${id} runs no image built here from Debian: nothing to check\n`);
      else
        out(
          debianSummary(preview.debian) ||
            `Debian has nothing newer for ${id}'s images (checked ${preview.debian.checkedAt})\n`,
        );
      return EXIT.ok;
    }
    if (Date.now() > deadline) throw new FailedError('the check took too long; it goes on');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `--auto on|off [--window HH:MM-HH:MM]`. */
export async function setAutoUpdate(
  client: DaemonClient,
  id: string,
  values: { auto?: string; window?: string; json?: boolean },
): Promise<number> {
  if (values.auto !== 'on' && values.auto !== 'off')
    throw new UsageError('--auto takes on or off (--window HH:MM-HH:MM goes with it)');
  const body = {
    enabled: values.auto === 'on',
    ...(values.window !== undefined ? { window: values.window } : {}),
  };
  const setting = await client.json<AutoUpdate>(
    'PUT',
    `/api/installs/${seg(id)}/auto-update`,
    body,
  );
  if (values.json) out(json(setting));
  else
    out(
      setting.enabled
        ? `${id} updates itself between ${setting.window.replace('-', ' and ')} (local time) when an update is offered\n`
        : `${id} is updated only when someone asks\n`,
    );
  return EXIT.ok;
}
