/**
 * SHA-512 crypt (`$6$`, Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512", the scheme glibc's crypt(3) and so slapd's `{CRYPT}` verify).
 * Foyer's own login keeps argon2id; the directory gets this second hash of
 * the same password because slapd 2.5 from Debian verifies it without an
 * extra module (issue 14). Pure: node:crypto's SHA-512 and nothing else.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;

// The order in which the 64 digest bytes are encoded, three at a time (the specification's table).
const ORDER: readonly (readonly [number, number, number])[] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

const sha512 = (...parts: Buffer[]) => {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** `length` bytes of `block` repeated (the specification's "P" and "S" sequences). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length)
    block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

function encode(digest: Buffer): string {
  let out = '';
  const put = (w: number, n: number) => {
    for (let i = 0; i < n; i++) {
      out += ITOA64[w & 0x3f];
      w >>>= 6;
    }
  };
  for (const [a, b, c] of ORDER) put((digest[a]! << 16) | (digest[b]! << 8) | digest[c]!, 4);
  put(digest[63]!, 2);
  return out;
}

/** The `$6$` hash of `password` with `salt` (at most 16 characters used). */
export function sha512Crypt(password: string, salt: string, rounds?: number): string {
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 16), 'utf8');
  const n =
    rounds === undefined ? DEFAULT_ROUNDS : Math.min(Math.max(rounds, MIN_ROUNDS), MAX_ROUNDS);
  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s).update(repeatTo(b, p.length));
  for (let len = p.length; len > 0; len >>>= 1) a.update(len & 1 ? b : p);
  let c = a.digest();
  const dp = sha512(...Array.from({ length: p.length }, () => p));
  const pBytes = repeatTo(dp, p.length);
  const ds = sha512(...Array.from({ length: 16 + c[0]! }, () => s));
  const sBytes = repeatTo(ds, s.length);
  for (let i = 0; i < n; i++) {
    const round = createHash('sha512');
    round.update(i & 1 ? pBytes : c);
    if (i % 3) round.update(sBytes);
    if (i % 7) round.update(pBytes);
    round.update(i & 1 ? c : pBytes);
    c = round.digest();
  }
  const prefix = rounds === undefined ? '$6$' : `$6$rounds=${n}$`;
  return `${prefix}${s.toString('utf8')}$${encode(c)}`;
}

/** A fresh `$6$` hash with a random 16-character salt. */
export function hashCrypt(password: string): string {
  const salt = Array.from(randomBytes(16), (byte) => ITOA64[byte & 0x3f]).join('');
  return sha512Crypt(password, salt);
}

/** Whether `password` matches a `$6$` hash; false for any other or malformed hash. */
export function verifyCrypt(password: string, hash: string): boolean {
  const match = /^\$6\$(?:rounds=(\d+)\$)?([^$]{0,16})\$[./0-9A-Za-z]{86}$/.exec(hash);
  if (!match) return false;
  const rounds = match[1] === undefined ? undefined : Number(match[1]);
  const again = Buffer.from(sha512Crypt(password, match[2]!, rounds));
  const given = Buffer.from(hash);
  return again.length === given.length && timingSafeEqual(again, given);
}
