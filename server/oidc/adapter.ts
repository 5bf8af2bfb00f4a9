/**
 * oidc-provider's storage in Foyer's SQLite store (migration 12, `oidc_models`): one row per
 * model and id, the payload as JSON, with the columns the provider looks rows up by (grant id,
 * user code, uid) beside it. The interface is the provider's adapter (its example
 * `my_adapter.js`): upsert, find, findByUid, findByUserCode, consume, destroy, revokeByGrantId.
 * Expired rows are never returned and are swept at most once a minute. Clients are not stored
 * here: they come from the installs (./clients.ts), so `Client` finds go to `findClient`.
 */
import type Database from 'better-sqlite3';

/** A stored model's payload, as oidc-provider hands it over. */
export type Payload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
};

/** The adapter one model name gets (oidc-provider makes one per model). */
export interface OidcAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

interface Row {
  payload: string;
  consumed_at: number | null;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * The adapter class oidc-provider is configured with: `new Adapter(name)` per model. `findClient`
 * answers the `Client` model (the installs that declare `oidc` in app.yaml).
 */
export function sqliteAdapter(
  db: Database.Database,
  findClient: (id: string) => Payload | undefined,
  now: () => number = Date.now,
) {
  const upsertRow = db.prepare(
    `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
     VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @expiresAt, NULL)
     ON CONFLICT (model, id) DO UPDATE SET payload = @payload, grant_id = @grantId,
       user_code = @userCode, uid = @uid, expires_at = @expiresAt`,
  );
  const live = '(expires_at IS NULL OR expires_at > ?)';
  const byId = db.prepare<[string, string, number], Row>(
    `SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND id = ? AND ${live}`,
  );
  const byUid = db.prepare<[string, string, number], Row>(
    `SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND uid = ? AND ${live}`,
  );
  const byUserCode = db.prepare<[string, string, number], Row>(
    `SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND user_code = ? AND ${live}`,
  );
  const consumeRow = db.prepare(
    'UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ?',
  );
  const destroyRow = db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?');
  const revokeGrant = db.prepare('DELETE FROM oidc_models WHERE grant_id = ?');
  const sweep = db.prepare(
    'DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?',
  );
  let sweptAt = 0;

  const read = (row: Row | undefined): Payload | undefined => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as Payload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  };
  const seconds = () => Math.floor(now() / 1000);

  return class SqliteAdapter implements OidcAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number) {
      const at = now();
      if (at - sweptAt > SWEEP_EVERY_MS) {
        sweptAt = at;
        sweep.run(seconds());
      }
      upsertRow.run({
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? seconds() + expiresIn : null,
      });
    }

    async find(id: string) {
      if (this.model === 'Client') return findClient(id);
      return read(byId.get(this.model, id, seconds()));
    }

    async findByUid(uid: string) {
      return read(byUid.get(this.model, uid, seconds()));
    }

    async findByUserCode(userCode: string) {
      return read(byUserCode.get(this.model, userCode, seconds()));
    }

    async consume(id: string) {
      consumeRow.run(seconds(), this.model, id);
    }

    async destroy(id: string) {
      destroyRow.run(this.model, id);
    }

    async revokeByGrantId(grantId: string) {
      revokeGrant.run(grantId);
    }
  };
}
