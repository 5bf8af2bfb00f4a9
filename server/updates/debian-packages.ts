/**
 * Debian's updates for what a built image contains (issue 15): the check runs
 * `apt-get -s dist-upgrade` in a throwaway container of the image (check.ts);
 * this module reads apt's simulated plan and decides what an install is
 * offered. Pure, so it is unit-tested on apt's own words.
 *
 * apt prints one line per package it would upgrade:
 *   Inst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])
 * `[installed]` then `(candidate origin, origin… [arch])`; a package apt would newly install
 * (a new dependency) has no `[installed]` and is not an update of what the image holds.
 */
import { byCodeUnit } from '../text-order.js';

/** One package of the image that Debian has a newer version of. */
export interface PackageUpdate {
  name: string;
  from: string;
  to: string;
  /** The newer version comes from Debian's security archive. */
  security: boolean;
}

/** What one check of one service's image found. */
export interface ImageCheck {
  service: string;
  /** The image id the check ran (the service's container's image then). */
  imageId: string;
  checkedAt: string;
  packages: PackageUpdate[];
  /** Why the check could not tell (apt failed, no apt in the image); packages are then empty. */
  error: string | null;
}

const INST = /^Inst (\S+) \[([^\]]+)\] \((\S+) (.*?) ?\[[^\]]*\]\)/;

/** The upgrades in `apt-get -s dist-upgrade`'s output, by package name. */
export function parseSimulatedUpgrade(output: string): PackageUpdate[] {
  const updates = new Map<string, PackageUpdate>();
  for (const line of output.split('\n')) {
    const match = INST.exec(line.trim());
    if (!match) continue;
    const [, name, from, to, origins] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    updates.set(name, { name, from, to, security: /-security\b|Debian-Security/i.test(origins) });
  }
  return [...updates.values()].sort((a, b) => byCodeUnit(a.name, b.name));
}

/**
 * What an install is offered from its checks: the packages found in the images its services
 * run now. A check says nothing of an image the service no longer runs: one of another image
 * than `running` says (when the caller knows), or one made before `since` (the install's last
 * successful update, which may have rebuilt it).
 */
export function offeredPackages(
  checks: ImageCheck[],
  current: { running?: Record<string, string>; since?: string | null },
): PackageUpdate[] {
  const offered = new Map<string, PackageUpdate>();
  for (const check of checks) {
    if (current.running && current.running[check.service] !== check.imageId) continue;
    if (current.since && Date.parse(check.checkedAt) < Date.parse(current.since)) continue;
    for (const p of check.packages) if (!offered.has(p.name)) offered.set(p.name, p);
  }
  return [...offered.values()].sort((a, b) => byCodeUnit(a.name, b.name));
}

/** The offer as people read it: `security updates from Debian: openssl 3.0.11 → 3.0.13, …`. */
export function describeOffer(packages: PackageUpdate[], limit = 8): string {
  if (packages.length === 0) return 'no updates from Debian';
  const security = packages.some((p) => p.security);
  const shown = [...packages]
    .sort((a, b) => Number(b.security) - Number(a.security) || byCodeUnit(a.name, b.name))
    .slice(0, limit)
    .map((p) => `${p.name} ${p.from} → ${p.to}`);
  const more = packages.length > limit ? `, and ${packages.length - limit} more` : '';
  return `${security ? 'security updates' : 'updates'} from Debian: ${shown.join(', ')}${more}`;
}

/** A stable name for what is offered (`debian:<name>=<version>,…`), so an attempt is not repeated. */
export function offerKey(packages: PackageUpdate[]): string {
  return `debian:${packages.map((p) => `${p.name}=${p.to}`).join(',')}`;
}

/** A check is due when the service runs an image never checked, or last checked `everyMs` ago. */
export function checkDue(
  now: Date,
  running: Record<string, string>,
  checks: ImageCheck[],
  everyMs: number,
): boolean {
  return Object.entries(running).some(([service, imageId]) => {
    const check = checks.find((c) => c.service === service && c.imageId === imageId);
    return !check || now.getTime() - Date.parse(check.checkedAt) >= everyMs;
  });
}
