/** The domain settings in the store (migration 8): one row, absent until a domain is set. */
import type Database from 'better-sqlite3';
import type { DomainSettings } from './config.js';

export interface DomainStore {
  get(): DomainSettings | undefined;
  set(settings: DomainSettings): void;
}

interface Row {
  mode: 'public' | 'internal';
  domain: string;
  email: string | null;
  acme: string | null;
  acme_root: string | null;
}

export function domainStore(
  db: Database.Database,
  now: () => Date = () => new Date(),
): DomainStore {
  const read = db.prepare('SELECT mode, domain, email, acme, acme_root FROM domain_settings');
  const write = db.prepare(
    `INSERT INTO domain_settings (id, mode, domain, email, acme, acme_root, updated_at)
     VALUES (1, @mode, @domain, @email, @acme, @acmeRoot, @at)
     ON CONFLICT (id) DO UPDATE SET mode = @mode, domain = @domain, email = @email, acme = @acme,
       acme_root = @acmeRoot, updated_at = @at`,
  );
  return {
    get() {
      const row = read.get() as Row | undefined;
      if (!row) return undefined;
      return {
        mode: row.mode,
        domain: row.domain,
        ...(row.email ? { email: row.email } : {}),
        ...(row.acme ? { acme: row.acme } : {}),
        ...(row.acme_root ? { acmeRoot: row.acme_root } : {}),
      };
    },
    set(settings) {
      write.run({
        mode: settings.mode,
        domain: settings.domain,
        email: settings.email ?? null,
        acme: settings.acme ?? null,
        acmeRoot: settings.acmeRoot ?? null,
        at: now().toISOString(),
      });
    },
  };
}
