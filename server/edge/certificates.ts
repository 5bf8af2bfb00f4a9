/**
 * Certificates for mail and chat (issue 13): which names an install needs, where the edge keeps
 * their certificates, and what a hand-over round must do. Pure: no files, no Docker; the effects
 * live in hand-over.ts.
 *
 * Caddy has no deploy hook, so Foyer compares what the edge holds with the copy an install has
 * and, on a difference (a first certificate, a renewal), copies and reloads the daemons
 * (reference B1: "compare the .json metadata or the cert mtime after renewals").
 */
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { interpolateString } from '../../compose/interpolate.js';
import { Diagnostics, joinPath, type Problem } from '../../compose/problems.js';
import { type AppManifest, TLS_TARGET } from '../catalog/manifest.js';
import { byCodeUnit } from '../text-order.js';

/** One `tls` entry of app.yaml with its name resolved for an install. */
export interface TlsEntry {
  name: string;
  services: string[];
  target: string;
  keyGroup?: number;
  reload: Record<string, string[]>;
}

/** A host name a certificate can be issued for (no wildcard, no IP address, no trailing dot). */
const HOST_NAME =
  /^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!\d+$)(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The app's `tls` entries for one install: names interpolated with the install's variables (its
 * settings and FOYER_DOMAIN, as compose.yaml sees them) and lowercased. An entry whose name is
 * empty or not a host name is left out with a problem (`tls[0].name`): without a domain there
 * is nothing to hand over and the app keeps its own certificate.
 */
export function resolveTls(
  declared: AppManifest['tls'],
  variables: Record<string, string>,
): { entries: TlsEntry[]; problems: Problem[] } {
  const entries: TlsEntry[] = [];
  const problems: Problem[] = [];
  (declared ?? []).forEach((entry, i) => {
    const path = joinPath(joinPath('tls', i), 'name');
    const diag = new Diagnostics();
    const name = interpolateString(entry.name, (key) => variables[key], path, diag)
      .trim()
      .toLowerCase();
    problems.push(...diag.problems);
    if (diag.problems.length > 0) return;
    if (!HOST_NAME.test(name)) {
      problems.push({ path, message: `"${name}" is not a host name a certificate can name` });
      return;
    }
    entries.push({
      name,
      services: [...entry.services],
      target: entry.target ?? TLS_TARGET,
      ...(entry.keyGroup !== undefined ? { keyGroup: entry.keyGroup } : {}),
      reload: { ...(entry.reload ?? {}) },
    });
  });
  return { entries, problems };
}

/** The host folder one name's copy lives in: `<install data>/tls/<name>`. */
export function handOverDir(appData: string, name: string): string {
  return join(appData, 'tls', name);
}

/** The file recording what was copied and which services reloaded it (outside the mount). */
export function handOverStateFile(appData: string, name: string): string {
  return join(appData, 'tls', `${name}.state.json`);
}

/** What the hand-over remembers of one name, so a restarted daemon neither repeats nor skips. */
export interface HandOverRecord {
  /** The hash of the copied certificate and key (certificatePairHash). */
  copied?: string;
  /** Per service, the hash it last reloaded successfully. */
  reloaded: Record<string, string>;
}

/** The identity of a certificate and key pair: a change in either is a new pair. */
export function certificatePairHash(certificate: string | Buffer, key: string | Buffer): string {
  return createHash('sha256').update(certificate).update('\0').update(key).digest('hex');
}

/** A certificate the edge holds for a name, under one issuer. */
export interface EdgeCertificate {
  /** The issuer key (`local`, `acme-v02.api.letsencrypt.org-directory`, …). */
  issuer: string;
  certificatePath: string;
  keyPath: string;
  /** Expiry, in milliseconds since the epoch. */
  notAfter: number;
}

/**
 * The folder Caddy names an ACME issuer's certificates by: the directory URL's host and path with
 * `:` and `/` turned into `-` (`https://127.0.0.1:14100/dir` → `127.0.0.1-14100-dir`); the
 * internal issuer's is `local`.
 */
export function issuerKey(directoryUrl: string): string {
  const url = new URL(directoryUrl);
  return `${url.host}${url.pathname}`
    .toLowerCase()
    .replace(/^\/+|\/+$/g, '')
    .replace(/[:/]/g, '-');
}

/** Where Caddy keeps a name's certificate under one issuer (reference B1, storage layout). */
export function edgeCertificatePaths(
  storageDir: string,
  issuer: string,
  name: string,
): { certificatePath: string; keyPath: string; metadataPath: string } {
  const dir = join(storageDir, 'certificates', issuer, name);
  return {
    certificatePath: join(dir, `${name}.crt`),
    keyPath: join(dir, `${name}.key`),
    metadataPath: join(dir, `${name}.json`),
  };
}

/** The expiry of the first certificate of a PEM chain, or undefined when it is not one. */
export function certificateExpiry(pem: string): number | undefined {
  try {
    return Date.parse(new X509Certificate(pem).validTo);
  } catch {
    return undefined;
  }
}

/**
 * The certificate to hand over among those the edge holds for a name: the one valid longest,
 * among those not yet expired. A switch of mode (home CA to ACME) leaves the old issuer's
 * certificate behind; the newer, longer-lived one wins, and an expired one is never handed over.
 */
export function pickCertificate(
  candidates: readonly EdgeCertificate[],
  now: number,
): EdgeCertificate | undefined {
  return candidates
    .filter((c) => c.notAfter > now)
    .sort((a, b) => b.notAfter - a.notAfter || byCodeUnit(a.issuer, b.issuer))[0];
}

/** What one round does for one name of one install. */
export interface HandOverStep {
  /** Copy the edge's pair into the install's folder. */
  copy: boolean;
  /** Services whose reload command must run (they run, and have not loaded this pair yet). */
  reload: string[];
}

/**
 * Decides one round for one name: copy when the edge's pair differs from the copy; reload each
 * running service with a reload command that has not loaded the pair the folder will hold. A
 * service that is not running reads the files when it starts, so it is not reloaded; a failed
 * reload is not recorded, so the next round tries again.
 */
export function planHandOver(input: {
  entry: TlsEntry;
  /** The hash of the edge's pair, undefined when the edge has no certificate for the name. */
  edge?: string;
  record: HandOverRecord;
  running: ReadonlySet<string>;
}): HandOverStep {
  const { entry, edge, record, running } = input;
  const copy = edge !== undefined && edge !== record.copied;
  const served = copy ? edge : record.copied;
  if (served === undefined) return { copy, reload: [] };
  const reload = entry.services.filter(
    (service) =>
      entry.reload[service] !== undefined &&
      running.has(service) &&
      record.reloaded[service] !== served,
  );
  return { copy, reload };
}

/** The certificate names every install needs, for the edge to obtain (subjects of its policy). */
export function neededNames(entriesByInstall: ReadonlyMap<string, TlsEntry[]>): string[] {
  const names = new Set<string>();
  for (const entries of entriesByInstall.values()) for (const e of entries) names.add(e.name);
  return [...names].sort();
}
