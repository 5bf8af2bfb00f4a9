/**
 * Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
 * steps, as every authenticator app does by default) and the RFC 4648 base32
 * their secrets are written in. Small enough to own rather than depend on.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const STEP_SECONDS = 30;
const DIGITS = 6;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, padded with `=` to a multiple of 8 characters unless `pad` is false. */
export function base32Encode(bytes: Uint8Array, pad = true): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return pad ? out.padEnd(Math.ceil(out.length / 8) * 8, '=') : out;
}

/** Decodes base32, forgiving case, spaces and padding as people type secrets; throws on others. */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = ALPHABET.indexOf(char);
    if (value === -1) throw new Error(`"${char}" is not a base32 character`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (the HMAC-SHA-1 block RFC 4226 recommends), base32 unpadded. */
export function generateSecret(): string {
  return base32Encode(randomBytes(20), false);
}

/** The time step a moment (milliseconds since the epoch) falls in. */
export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / STEP_SECONDS);
}

/** The code for a base32 secret at `timeMs` (RFC 4226 §5.3 dynamic truncation). */
export function totpCode(secret: string, timeMs: number, digits = DIGITS): string {
  return codeAtStep(base32Decode(secret), totpStep(timeMs), digits);
}

function codeAtStep(key: Buffer, step: number, digits: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The step whose code `code` is, trying the current step and one either side
 * (RFC 6238 §5.2: clocks drift and people type slowly); undefined when none
 * matches. Callers remember the step to refuse a code used twice.
 */
export function matchTotp(secret: string, code: string, timeMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const key = base32Decode(secret);
  const given = Buffer.from(code);
  const now = totpStep(timeMs);
  let matched: number | undefined;
  // Every candidate is compared, in constant time, so timing says nothing about which matched.
  for (const step of [now - 1, now, now + 1]) {
    if (timingSafeEqual(Buffer.from(codeAtStep(key, step, DIGITS)), given)) matched ??= step;
  }
  return matched;
}

/** True when `code` is the secret's code at `timeMs`, give or take one step. */
export function verifyTotp(secret: string, code: string, timeMs: number): boolean {
  return matchTotp(secret, code, timeMs) !== undefined;
}

/** The `otpauth://` URI authenticator apps read from a QR code (Google Authenticator's Key URI Format). */
export function otpauthUri(secret: string, username: string): string {
  const label = `Foyer:${encodeURIComponent(username)}`;
  const query = new URLSearchParams({
    secret,
    issuer: 'Foyer',
    algorithm: 'SHA1',
    digits: String(DIGITS),
    period: String(STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query}`;
}
