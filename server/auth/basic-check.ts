/**
 * The edge's HTTP Basic check (issue 14, "Radicale behind the edge"): the parts that need no
 * request. DAV clients send the same credentials on every request, so a success is remembered
 * for a few seconds, keyed by an HMAC of install, name and password under a key made at start
 * (never the password, nor anything a stolen heap dump could test guesses against offline
 * without the key). A remembered success only spares argon2: who the member is now (active,
 * the same password hashes, a group granted the install) is read from the store at every
 * request, so a disable, a new password, a revoked app password or grant is refused at the
 * next one.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Longest name and password a Basic header may carry here (as the OIDC sign-in form). */
const MAX_NAME = 64;
const MAX_PASSWORD = 1024;

export interface BasicCredentials {
  name: string;
  password: string;
}

/** The name and password of an `Authorization: Basic` header (RFC 7617, UTF-8); else undefined. */
export function parseBasic(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (name.length > MAX_NAME || password.length === 0 || password.length > MAX_PASSWORD) {
    return undefined;
  }
  return { name, password };
}

/** What the client is told to answer a 401 with, so a DAV client asks its person. */
export function basicChallenge(install: string): string {
  return `Basic realm="${install}", charset="UTF-8"`;
}

export interface BasicCacheOptions {
  /** How long a success is remembered (at most ~5 s: a disabled member is refused within 10 s). */
  ttlMs?: number;
  /** Most successes remembered at once; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

/** Recent successful checks, by HMAC of install, name and password. */
export class BasicCheckCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { hashes: string; at: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: BasicCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 1000;
    this.now = options.now ?? Date.now;
  }

  private id(install: string, { name, password }: BasicCredentials): string {
    // NUL cannot be in an install id or a name, so the fields cannot run into one another.
    return createHmac('sha256', this.key)
      .update(`${install}\0${name}\0${password}`)
      .digest('base64url');
  }

  /**
   * Whether these credentials were found right for the install within the last `ttlMs`,
   * against the hashes that open the door now (`hashes`, ./door-password.ts `doorHashes`): a new
   * password, a revoked app password or two-step verification turned on forgets it.
   */
  has(install: string, credentials: BasicCredentials, hashes: string): boolean {
    const id = this.id(install, credentials);
    const entry = this.entries.get(id);
    if (!entry) return false;
    if (this.now() - entry.at >= this.ttlMs || entry.hashes !== hashes) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  /** Remembers a success checked against `hashes`. */
  remember(install: string, credentials: BasicCredentials, hashes: string): void {
    const id = this.id(install, credentials);
    this.entries.delete(id);
    this.entries.set(id, { hashes, at: this.now() });
    for (const [old, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.now() - entry.at < this.ttlMs) break;
      this.entries.delete(old);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Whether a member may use the install through the Basic check: active and in a group the
 * install is granted to. No exception for admins: the app checks the directory again, whose
 * access group holds exactly these members (server/directory/entries.ts), so both agree.
 */
export function basicAccess(
  member: { state: 'active' | 'disabled'; groups: readonly string[] } | undefined,
  granted: readonly string[],
): boolean {
  return member?.state === 'active' && member.groups.some((group) => granted.includes(group));
}
