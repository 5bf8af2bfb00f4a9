/**
 * The box's OpenID Connect keys (migration 12, `oidc_keys`): an RSA signing key (RS256, which
 * every OIDC client must accept) and the keys that sign oidc-provider's cookies. Made the first
 * time the provider starts and kept in the store, never made again: a restart keeps the same
 * `kid`, so ID tokens an app already verified stay verifiable, and a backup of Foyer's state
 * carries them. Private keys never leave the daemon; the JWKS endpoint publishes the public part.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** A private JWK as oidc-provider's `jwks` takes it. */
export type PrivateJwk = Record<string, string>;

export interface OidcKeys {
  jwks: { keys: PrivateJwk[] };
  cookieKeys: string[];
}

/** RFC 7638 thumbprint of an RSA public key: a `kid` that names the key itself. */
export function rsaThumbprint(jwk: { e: string; n: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

function newSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as PrivateJwk;
  return { ...jwk, kid: rsaThumbprint(jwk as { e: string; n: string }), alg: 'RS256', use: 'sig' };
}

/** The stored keys, made now (in one transaction, so two starts agree) when there are none. */
export function ensureKeys(db: Database.Database, now: () => Date = () => new Date()): OidcKeys {
  const select = db.prepare<[string], { value: string }>(
    'SELECT value FROM oidc_keys WHERE name = ?',
  );
  const insert = db.prepare(
    'INSERT OR IGNORE INTO oidc_keys (name, value, created_at) VALUES (?, ?, ?)',
  );
  const ensure = (name: string, make: () => unknown) => {
    const found = select.get(name);
    if (found) return JSON.parse(found.value) as unknown;
    insert.run(name, JSON.stringify(make()), now().toISOString());
    return JSON.parse(select.get(name)!.value) as unknown;
  };
  return db
    .transaction(() => ({
      jwks: ensure('jwks', () => ({ keys: [newSigningKey()] })) as OidcKeys['jwks'],
      cookieKeys: ensure('cookies', () => [randomBytes(32).toString('base64url')]) as string[],
    }))
    .immediate();
}
