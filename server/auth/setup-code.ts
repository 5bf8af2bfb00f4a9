/**
 * The first-run setup code (DESIGN.md "Security"): while Foyer has no user,
 * claiming the box needs a one-time code that only someone with access to
 * the machine can read — from `$FOYER_DATA_DIR/setup-code` (0600) or the
 * daemon's log — so nobody else on the network can claim a fresh box.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, in the data dir, that holds the code. */
export const SETUP_CODE_FILE = 'setup-code';

// 32 characters without 0/O and 1/I, so a code read off a screen is typed right; a power of two,
// so a random byte masked to 5 bits picks each one without bias. 12 characters = 60 bits.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GROUPS = 3;
const GROUP_LENGTH = 4;

/** Where the code is written; a pino or Fastify logger will do. */
export interface SetupCodeLog {
  warn(message: string): void;
}

/** Path of the setup-code file in `dataDir`. */
export function setupCodePath(dataDir: string): string {
  return join(dataDir, SETUP_CODE_FILE);
}

/** A fresh code such as `K7QM-3XPD-WA9R`. */
export function generateSetupCode(): string {
  const bytes = randomBytes(GROUPS * GROUP_LENGTH);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
  return chars.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g'))!.join('-');
}

/**
 * Makes sure a code exists while Foyer has no user, and logs it; removes a
 * leftover file once it has users. Returns the code, or undefined when none is needed.
 */
export function ensureSetupCode(
  dataDir: string,
  hasUsers: boolean,
  log: SetupCodeLog,
): string | undefined {
  const path = setupCodePath(dataDir);
  if (hasUsers) {
    removeSetupCode(dataDir);
    return undefined;
  }
  // A restart keeps the code, so one already read off the file or the log still works.
  let code = readSetupCode(dataDir);
  if (code === undefined) {
    code = generateSetupCode();
    writeAtomically(path, `${code}\n`);
  }
  // Warn level: the one line a person must see at first start, whatever the log level.
  log.warn(`First-run setup code: ${code} (also in ${path})`);
  return code;
}

/** True when `code` is the stored code; compared in constant time, forgiving case and spaces. */
export function checkSetupCode(dataDir: string, code: string): boolean {
  const stored = readSetupCode(dataDir);
  if (stored === undefined) return false;
  // Equal-length digests, so timingSafeEqual applies whatever the caller typed.
  const digest = (text: string) => createHash('sha256').update(normalise(text)).digest();
  return timingSafeEqual(digest(stored), digest(code));
}

/** Removes the code file, if any; setup is done and the code must not work again. */
export function removeSetupCode(dataDir: string): void {
  rmSync(setupCodePath(dataDir), { force: true });
}

/** The stored code, or undefined when there is none (Foyer has users). */
export function readSetupCode(dataDir: string): string | undefined {
  try {
    const code = readFileSync(setupCodePath(dataDir), 'utf8').trim();
    return code === '' ? undefined : code;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function normalise(code: string): string {
  return code.toUpperCase().replace(/\s/g, '');
}

/** Writes through a temporary file (0600 from its creation) and a rename, so no reader sees half a code. */
function writeAtomically(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
