import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  base32Decode,
  base32Encode,
  generateSecret,
  matchTotp,
  otpauthUri,
  totpCode,
  verifyTotp,
} from '../../server/auth/totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'), false);
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('base32 (RFC 4648 §10 test vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];
  for (const [plain, encoded] of vectors) {
    test(`"${plain}" <-> "${encoded}"`, () => {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      assert.equal(base32Decode(encoded).toString(), plain);
    });
  }

  test('decoding forgives case, spaces and missing padding; refuses other characters', () => {
    assert.equal(base32Decode('mzxw 6ytb oi').toString(), 'foobar');
    assert.throws(() => base32Decode('MZXW1'), /not a base32 character/);
  });

  test('the RFC 6238 seed encodes as authenticator apps expect', () => {
    assert.equal(RFC_SECRET, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  for (const [seconds, code] of RFC_VECTORS) {
    test(`T = ${seconds} s gives ${code}`, () => {
      assert.equal(totpCode(RFC_SECRET, seconds * 1000, 8), code);
      // Six digits are the same truncation modulo 10^6: the last six.
      assert.equal(totpCode(RFC_SECRET, seconds * 1000), code.slice(2));
    });
  }

  test('accepts the current step and one either side, nothing further', () => {
    const now = 1_700_000_000_000;
    const at = (offsetSteps: number) => totpCode(RFC_SECRET, now + offsetSteps * 30_000);
    assert.ok(verifyTotp(RFC_SECRET, at(0), now));
    assert.ok(verifyTotp(RFC_SECRET, at(-1), now));
    assert.ok(verifyTotp(RFC_SECRET, at(1), now));
    assert.equal(verifyTotp(RFC_SECRET, at(-2), now), false);
    assert.equal(verifyTotp(RFC_SECRET, at(2), now), false);
    assert.equal(matchTotp(RFC_SECRET, at(1), now), Math.floor(now / 30_000) + 1);
  });

  test('refuses anything that is not six digits', () => {
    const now = 59_000;
    assert.equal(verifyTotp(RFC_SECRET, '94287082', now), false);
    assert.equal(verifyTotp(RFC_SECRET, '28708', now), false);
    assert.equal(verifyTotp(RFC_SECRET, '28708a', now), false);
    assert.equal(verifyTotp(RFC_SECRET, '', now), false);
  });

  test('a generated secret is 160 random bits in unpadded base32', () => {
    const secret = generateSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(secret).length, 20);
    assert.notEqual(generateSecret(), secret);
  });

  test('the otpauth URI names the issuer, the account and the parameters', () => {
    const text = otpauthUri('GEZDGNBV', 'ann.b');
    assert.ok(text.startsWith('otpauth://totp/Foyer:ann.b?'), text);
    const uri = new URL(text);
    assert.equal(uri.searchParams.get('secret'), 'GEZDGNBV');
    assert.equal(uri.searchParams.get('issuer'), 'Foyer');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  });
});
