/**
 * What is offered to an install besides the catalogue (issue 15): the last
 * check of each built service's image against Debian's archive, and the
 * install's automatic-update setting with the offer it last tried by itself.
 */
import type Database from 'better-sqlite3';
import type { AutoUpdateSetting } from '../updates/auto-policy.js';
import { DEFAULT_AUTO_UPDATE } from '../updates/auto-policy.js';
import type { ImageCheck, PackageUpdate } from '../updates/debian-packages.js';

export interface AutoUpdateRecord extends AutoUpdateSetting {
  /** The offer (`pendingOffer`'s key) last tried automatically, its job and when. */
  lastOffer: string | null;
  lastJob: string | null;
  lastAt: string | null;
}

export interface UpdateOffers {
  checks(installId: string): ImageCheck[];
  /** Replaces the install's checks with these (one per built service). */
  recordChecks(installId: string, checks: ImageCheck[]): void;
  autoUpdate(installId: string): AutoUpdateRecord;
  /** Every install whose automatic updates are on. */
  autoUpdating(): string[];
  setAutoUpdate(installId: string, setting: AutoUpdateSetting): void;
  /** Remembers the offer an automatic update tried. */
  triedAutomatically(installId: string, offer: string, jobId: string, at: Date): void;
}

interface CheckRow {
  service: string;
  image_id: string;
  checked_at: string;
  packages: string;
  error: string | null;
}

interface AutoRow {
  enabled: number;
  window: string;
  last_offer: string | null;
  last_job: string | null;
  last_at: string | null;
}

export function updateOffers(db: Database.Database): UpdateOffers {
  const selectChecks = db.prepare<[string], CheckRow>(
    'SELECT service, image_id, checked_at, packages, error FROM debian_checks WHERE install_id = ? ORDER BY service',
  );
  const deleteChecks = db.prepare('DELETE FROM debian_checks WHERE install_id = ?');
  const insertCheck = db.prepare(
    'INSERT INTO debian_checks (install_id, service, image_id, checked_at, packages, error) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectAuto = db.prepare<[string], AutoRow>(
    'SELECT enabled, window, last_offer, last_job, last_at FROM auto_updates WHERE install_id = ?',
  );
  const upsertAuto = db.prepare(
    `INSERT INTO auto_updates (install_id, enabled, window) VALUES (?, ?, ?)
     ON CONFLICT (install_id) DO UPDATE SET enabled = excluded.enabled, window = excluded.window`,
  );
  const tried = db.prepare(
    'UPDATE auto_updates SET last_offer = ?, last_job = ?, last_at = ? WHERE install_id = ?',
  );
  const enabled = db.prepare<[], { install_id: string }>(
    'SELECT install_id FROM auto_updates WHERE enabled = 1 ORDER BY install_id',
  );
  return {
    checks: (installId) =>
      selectChecks.all(installId).map((row) => ({
        service: row.service,
        imageId: row.image_id,
        checkedAt: row.checked_at,
        packages: JSON.parse(row.packages) as PackageUpdate[],
        error: row.error,
      })),
    recordChecks: (installId, checks) =>
      db.transaction(() => {
        deleteChecks.run(installId);
        for (const c of checks)
          insertCheck.run(
            installId,
            c.service,
            c.imageId,
            c.checkedAt,
            JSON.stringify(c.packages),
            c.error,
          );
      })(),
    autoUpdate: (installId) => {
      const row = selectAuto.get(installId);
      if (!row) return { ...DEFAULT_AUTO_UPDATE, lastOffer: null, lastJob: null, lastAt: null };
      return {
        enabled: row.enabled === 1,
        window: row.window,
        lastOffer: row.last_offer,
        lastJob: row.last_job,
        lastAt: row.last_at,
      };
    },
    autoUpdating: () => enabled.all().map((row) => row.install_id),
    setAutoUpdate: (installId, setting) =>
      void upsertAuto.run(installId, setting.enabled ? 1 : 0, setting.window),
    triedAutomatically: (installId, offer, jobId, at) =>
      void tried.run(offer, jobId, at.toISOString(), installId),
  };
}
