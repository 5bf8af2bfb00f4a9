/**
 * The box's OpenID Connect keys (migration 12, `oidc_keys`): an RSA signing key (RS256, which
 * every OIDC client must accept) and the keys that sign oidc-provider's cookies. Made the first
 * time the provider starts and kept in the store, never made again: a restart keeps the same
 * `kid`, so ID tokens an app already verified stay verifiable, and a backup of Foyer's state
 * carries them. Private keys never leave the daemon; the JWKS endpoint publishes the public part.
 */
import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
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

/** A new RS256 key; made off the event loop (about a second on a small board). */
async function newSigningKey(): Promise<PrivateJwk> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as PrivateJwk;
  return { ...jwk, kid: rsaThumbprint(jwk as { e: string; n: string }), alg: 'RS256', use: 'sig' };
}

/**
 * The stored keys, made now when there are none; stored with INSERT OR IGNORE and read back, so
 * two racing starts end with the same keys.
 */
export async function ensureKeys(
  db: Database.Database,
  now: () => Date = () => new Date(),
): Promise<OidcKeys> {
  const select = db.prepare<[string], { value: string }>(
    'SELECT value FROM oidc_keys WHERE name = ?',
  );
  const insert = db.prepare(
    'INSERT OR IGNORE INTO oidc_keys (name, value, created_at) VALUES (?, ?, ?)',
  );
  const ensure = async (name: string, make: () => Promise<unknown>) => {
    if (!select.get(name)) insert.run(name, JSON.stringify(await make()), now().toISOString());
    return JSON.parse(select.get(name)!.value) as unknown;
  };
  const jwks = await ensure('jwks', async () => ({ keys: [await newSigningKey()] }));
  const cookieKeys = await ensure('cookies', async () => [randomBytes(32).toString('base64url')]);
  return { jwks: jwks as OidcKeys['jwks'], cookieKeys: cookieKeys as string[] };
}
