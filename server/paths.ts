/**
 * Where Foyer keeps its files, shared by the daemon and the CLI (which must
 * not load the daemon's modules to find them).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `FOYER_DATA_DIR`, else `/var/lib/foyer` as root, else `~/.local/share/foyer` (DESIGN: interfaces). */
export function defaultDataDir(env = process.env): string {
  if (env.FOYER_DATA_DIR) return env.FOYER_DATA_DIR;
  return process.getuid?.() === 0 ? '/var/lib/foyer' : join(homedir(), '.local/share/foyer');
}

/** Where the CLI finds the daemon on this machine. */
export function socketPath(dataDir: string): string {
  return join(dataDir, 'foyer.sock');
}

/** The running daemon's process id (removed when it stops), for `kill` and scripts/up.sh. */
export function pidPath(dataDir: string): string {
  return join(dataDir, 'foyer.pid');
}

/**
 * This Foyer's instance id, made once and kept in the data dir. Every object
 * it creates carries it (`foyer.instance`), so two Foyers on one engine — a
 * test beside a real one, two data dirs — never take the other's objects for
 * orphans.
 */
export function instanceId(dataDir: string): string {
  const path = join(dataDir, 'instance-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = randomBytes(6).toString('hex');
  writeFileSync(path, `${id}\n`, { mode: 0o600, flag: 'wx' });
  return id;
}
