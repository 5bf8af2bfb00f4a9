/**
 * The certificate hand-over's effects (issue 13): each round reads what the edge holds for the
 * names installs declare (app.yaml `tls`), copies a new or renewed pair into the install's
 * folder (bind-mounted read-only into its services by the render path) and runs the app's
 * reload command in each running service's container. Decisions are in certificates.ts.
 *
 * Steady state reads files and lists containers: no Docker write, no file write.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { DockerAdapter } from '../docker/adapter.js';
import {
  type AppSource,
  appDataDir,
  type InstallRecord,
  instanceFilter,
  type RenderContext,
  renderVariables,
} from '../reconcile/desired.js';
import type { Logger } from '../reconcile/reconciler.js';
import {
  certificateExpiry,
  certificatePairHash,
  type EdgeCertificate,
  edgeCertificatePaths,
  type HandOverRecord,
  handOverDir,
  handOverStateFile,
  neededNames,
  pickCertificate,
  planHandOver,
  resolveTls,
  type TlsEntry,
} from './certificates.js';
import { edgeStorageDir } from './paths.js';

export interface HandOverOptions {
  docker: DockerAdapter;
  installs: () => InstallRecord[];
  loadApp: (appDir: string) => AppSource;
  render: RenderContext;
  log: Logger;
  /** The edge's storage (default edgeStorageDir(render.dataDir)). */
  storageDir?: string;
  now?: () => number;
}

/** The certificates the edge holds for `name`, under every issuer. */
export function edgeCertificates(storageDir: string, name: string): EdgeCertificate[] {
  const root = join(storageDir, 'certificates');
  if (!existsSync(root)) return [];
  const found: EdgeCertificate[] = [];
  for (const issuer of readdirSync(root)) {
    const { certificatePath, keyPath } = edgeCertificatePaths(storageDir, issuer, name);
    if (!existsSync(certificatePath) || !existsSync(keyPath)) continue;
    const notAfter = certificateExpiry(readFileSync(certificatePath, 'utf8'));
    if (notAfter !== undefined) found.push({ issuer, certificatePath, keyPath, notAfter });
  }
  return found;
}

/**
 * The edge's certificate and key, or undefined while they do not belong together: Caddy writes
 * them one after the other, and a round between the two writes must not hand over a mix.
 */
function readPair(picked: EdgeCertificate): { certificate: Buffer; key: Buffer } | undefined {
  const certificate = readFileSync(picked.certificatePath);
  const key = readFileSync(picked.keyPath);
  try {
    return new X509Certificate(certificate).checkPrivateKey(createPrivateKey(key))
      ? { certificate, key }
      : undefined;
  } catch {
    return undefined;
  }
}

function readRecord(path: string): HandOverRecord {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as HandOverRecord;
    return { copied: record.copied, reloaded: { ...(record.reloaded ?? {}) } };
  } catch {
    return { reloaded: {} };
  }
}

/** Writes a file under a temporary name and renames it into place, so a reader sees all or nothing. */
function replaceFile(path: string, content: Buffer | string, mode: number, group?: number): void {
  const temp = `${path}.new`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  if (group !== undefined) chownSync(temp, process.getuid?.() ?? 0, group);
  renameSync(temp, path);
}

/** Copies the pair into the install's folder: the key first, so a crash never pairs a new certificate with an old key that looks valid. */
function copyPair(dir: string, entry: TlsEntry, certificate: Buffer, key: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const keyMode = entry.keyGroup !== undefined ? 0o640 : 0o600;
  replaceFile(join(dir, 'privkey.pem'), key, keyMode, entry.keyGroup);
  replaceFile(join(dir, 'fullchain.pem'), certificate, 0o644);
}

/** Runs hand-over rounds; `sync` once, or `start` to run one every `intervalMs`. */
export class CertificateHandOver {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private readonly tlsByAppDir = new Map<string, AppSource['tls']>();

  constructor(private readonly options: HandOverOptions) {}

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.sync(), intervalMs);
    void this.sync();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round over every running install that declares certificates; never two at once. */
  sync(): Promise<void> {
    this.running ??= this.round()
      .catch((error) => this.options.log.warn({ err: error }, 'certificate hand-over failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** The running installs' `tls` entries, resolved with their settings and the domain. */
  private wanted(): { install: InstallRecord; entries: TlsEntry[] }[] {
    const work: { install: InstallRecord; entries: TlsEntry[] }[] = [];
    for (const install of this.options.installs()) {
      if (install.desired !== 'running') continue;
      const declared = this.declared(install.appDir);
      if (!declared) continue;
      const { entries } = resolveTls(declared, renderVariables(install, this.options.render));
      if (entries.length > 0) work.push({ install, entries });
    }
    return work;
  }

  /** Every name an app wants a certificate for (mail's, XMPP's): the edge obtains them too. */
  names(): string[] {
    return neededNames(new Map(this.wanted().map((w) => [w.install.id, w.entries])));
  }

  private async round(): Promise<void> {
    const work = this.wanted();
    if (work.length === 0) return;
    const containers = await this.options.docker.listContainers([
      instanceFilter(this.options.render.instance),
    ]);
    for (const { install, entries } of work) {
      const running = new Map<string, string>();
      for (const c of containers) {
        if (c.labels['foyer.install'] === install.id && c.state === 'running')
          running.set(c.labels['com.docker.compose.service'] ?? '', c.id);
      }
      for (const entry of entries) await this.handOver(install, entry, running);
    }
  }

  /**
   * An app's `tls` entries. An install renders from its pinned definition, whose folder never
   * changes once written, so each is read once.
   */
  private declared(appDir: string): AppSource['tls'] {
    if (!this.tlsByAppDir.has(appDir)) {
      try {
        this.tlsByAppDir.set(appDir, this.options.loadApp(appDir).tls);
      } catch {
        return undefined; // The reconciler reports an install it cannot render.
      }
    }
    return this.tlsByAppDir.get(appDir);
  }

  private async handOver(
    install: InstallRecord,
    entry: TlsEntry,
    running: Map<string, string>,
  ): Promise<void> {
    const storageDir = this.options.storageDir ?? edgeStorageDir(this.options.render.dataDir);
    const now = this.options.now?.() ?? Date.now();
    const picked = pickCertificate(edgeCertificates(storageDir, entry.name), now);
    const pair = picked && readPair(picked);
    const edge = pair && certificatePairHash(pair.certificate, pair.key);
    const appData = appDataDir(this.options.render, install.id);
    const stateFile = handOverStateFile(appData, entry.name);
    const record = readRecord(stateFile);
    const step = planHandOver({ entry, edge, record, running: new Set(running.keys()) });
    if (!step.copy && step.reload.length === 0) return;
    const log = { install: install.id, name: entry.name };
    if (step.copy && pair && edge) {
      copyPair(handOverDir(appData, entry.name), entry, pair.certificate, pair.key);
      record.copied = edge;
      this.options.log.info({ ...log, issuer: picked?.issuer }, 'certificate handed over');
    }
    for (const service of step.reload) {
      const command = entry.reload[service]!;
      try {
        const { exitCode, output } = await this.options.docker.exec(running.get(service)!, command);
        if (exitCode === 0) record.reloaded[service] = record.copied!;
        else
          this.options.log.warn(
            { ...log, service, exitCode, output: output.slice(-500) },
            'certificate reload failed; trying again next round',
          );
      } catch (error) {
        this.options.log.warn({ ...log, service, err: error }, 'certificate reload failed');
      }
    }
    mkdirSync(dirname(stateFile), { recursive: true, mode: 0o755 });
    replaceFile(stateFile, `${JSON.stringify(record)}\n`, 0o644);
  }
}
