/**
 * The edge as Foyer runs it (issue 13): the core install `edge` (catalog/edge, created by Foyer
 * when a domain is set, never by a person), the sync that keeps Caddy's config, the domain
 * settings, and what `foyer domain status` shows. Narrow dependencies in, no Docker calls of
 * its own: containers are the reconciler's, the config is the sync's.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { Catalog } from '../catalog/service.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { RenderContext } from '../reconcile/desired.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { Store } from '../store/index.js';
import { type AdminCounts, type CaddyAdmin, caddyAdmin } from './admin-client.js';
import { webUpstream } from './attach.js';
import { certificateErrors } from './caddy-log.js';
import {
  ACME_ROOT_FILE,
  CERTIFICATE_ONLY,
  type DomainSettings,
  type EdgeSite,
  edgeConfig,
  edgeNames,
  statusNames,
} from './config.js';
import {
  acmeAccountDir,
  CONTAINER,
  caddyAdminSocket,
  certificateFiles,
  EDGE_INSTALL,
  edgeAdminDir,
  edgeStorageDir,
  issuerKey,
  LETS_ENCRYPT,
} from './paths.js';
import { type DomainStore, domainStore } from './store.js';
import { EdgeSync, type EdgeSyncState } from './sync.js';

/** The host ports and address the edge publishes (FOYER_HTTP_PORT, FOYER_HTTPS_PORT). */
export interface EdgePorts {
  http: number;
  https: number;
  /** FOYER_EDGE_ADDRESS: the host address the ports are published on (default every one). */
  address: string;
}

export function edgePortsFromEnv(env: NodeJS.ProcessEnv = process.env): EdgePorts {
  return {
    http: Number(env.FOYER_HTTP_PORT || 80),
    https: Number(env.FOYER_HTTPS_PORT || 443),
    address: env.FOYER_EDGE_ADDRESS || '0.0.0.0',
  };
}

export interface NameStatus {
  name: string;
  /** What it is for: `foyer` (the UI), an install id, or `certificate` (files for mail, chat). */
  target: string;
  /** Caddy's issuer key: `local` (the home CA) or the ACME directory's. */
  issuer: string;
  /** The certificate's end of validity, once Caddy has one in its storage. */
  expires: string | null;
  error: string | null;
}

export interface DomainStatus {
  mode: 'public' | 'internal' | null;
  domain: string | null;
  email: string | null;
  acme: string | null;
  ports: { http: number; https: number };
  edge: EdgeSyncState & { install: string | null };
  /** The names the edge serves: the domain (Foyer's UI) and each install's web entry. */
  names: NameStatus[];
  /**
   * Names with no route that apps want as files (mail's `mail.<domain>`; target `certificate`):
   * obtained all the same, so their failures show here.
   */
  certificates: NameStatus[];
}

export interface EdgeServiceOptions {
  dataDir: string;
  store: Store;
  catalog: Catalog;
  pins: PinnedDefinitions;
  reconciler: Reconciler;
  /** Read only for Caddy's log (per-name certificate errors), when status is asked for. */
  docker?: DockerAdapter;
  render: RenderContext;
  log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  ports?: EdgePorts;
  resyncMs?: number;
  /** Counts admin API calls (tests, the benchmark). */
  counts?: AdminCounts;
  /** Names apps want certificates for besides their web entries (the hand-over's). */
  certificateNames?: () => string[];
  /** The mail domains whose `autoconfig.<domain>` the edge serves (issue 14). */
  autoconfigDomains?: () => string[];
  /** Told when the render context takes a new domain, before installs render with it. */
  domainChanged?: () => void;
}

/** What a Docker error about a published port says (20.10 and later). */
const PORT_TAKEN = /port is already allocated|address already in use/i;

export class EdgeService {
  readonly domains: DomainStore;
  readonly sync: EdgeSync;
  readonly admin: CaddyAdmin;
  readonly ports: EdgePorts;
  private lastConfig = '';
  /** Looks for the ACME account while the other names wait for it (see `acmeAccountReady`). */
  private accountWatch: NodeJS.Timeout | undefined;

  constructor(private readonly options: EdgeServiceOptions) {
    this.domains = domainStore(options.store.db);
    this.ports = options.ports ?? edgePortsFromEnv();
    this.admin = caddyAdmin(caddyAdminSocket(options.dataDir), options.counts);
    this.sync = new EdgeSync({
      admin: this.admin,
      desired: () => this.config(),
      beforePush: () => this.writeAcmeRoot(),
      resyncMs: options.resyncMs,
      log: options.log,
    });
    // Renders read the domain: set before the reconciler's first pass.
    const settings = this.domains.get();
    if (settings) options.render.domain = settings.domain;
  }

  /** Starts the sync; installs the edge if a domain is set and it is missing (a crash between). */
  start(): void {
    const { reconciler } = this.options;
    reconciler.on('status', (status: { install: string; state: string }) => {
      if (status.install === EDGE_INSTALL) {
        // The edge's network exists once it runs: installs may join it now.
        if (status.state === 'running') this.renderWithDomain();
        void this.sync.trigger();
        return;
      }
      const config = JSON.stringify(this.config() ?? null);
      if (config !== this.lastConfig) void this.sync.trigger();
    });
    if (this.domains.get()) this.ensureInstall();
    this.sync.start();
  }

  stop(): void {
    this.stopAccountWatch();
    this.sync.stop();
  }

  /** The installs' web entries, as the edge reaches them. */
  sites(): EdgeSite[] {
    const sites: EdgeSite[] = [];
    for (const install of this.options.store.installs.list()) {
      if (install.id === EDGE_INSTALL || install.desired === 'absent') continue;
      const web = this.options.pins.of(install)?.manifest.web;
      if (!web) continue;
      sites.push({
        install: install.id,
        upstream: webUpstream(install.id, web),
        ...(web.auth ? { auth: web.auth } : {}),
      });
    }
    return sites;
  }

  /** The Caddy config desired state gives now; undefined without a domain. */
  config(): Record<string, unknown> | undefined {
    const settings = this.domains.get();
    const accountReady = settings ? this.acmeAccountReady(settings) : true;
    if (accountReady) this.stopAccountWatch();
    else this.watchAccount();
    const config = settings
      ? edgeConfig({
          settings,
          sites: this.sites(),
          httpPort: this.ports.http,
          httpsPort: this.ports.https,
          certificateNames: this.options.certificateNames?.() ?? [],
          autoconfigDomains: this.options.autoconfigDomains?.() ?? [],
          ...(settings.mode === 'public' ? { acmeAccountReady: accountReady } : {}),
        })
      : undefined;
    this.lastConfig = JSON.stringify(config ?? null);
    return config;
  }

  /** Public mode: Caddy's storage holds an account (a `.json` registration) for the CA and email. */
  private acmeAccountReady(settings: DomainSettings): boolean {
    if (settings.mode !== 'public') return true;
    const dir = acmeAccountDir(
      edgeStorageDir(this.options.dataDir),
      settings.acme ?? LETS_ENCRYPT,
      settings.email,
    );
    try {
      return readdirSync(dir).some((file) => file.endsWith('.json'));
    } catch {
      return false;
    }
  }

  /** Checks every second for the account; its arrival pushes the config with every name. */
  private watchAccount(): void {
    if (this.accountWatch) return;
    this.accountWatch = setInterval(() => {
      const settings = this.domains.get();
      if (!settings || this.acmeAccountReady(settings)) {
        this.stopAccountWatch();
        void this.sync.trigger();
      }
    }, 1000);
    this.accountWatch.unref();
  }

  private stopAccountWatch(): void {
    if (this.accountWatch) clearInterval(this.accountWatch);
    this.accountWatch = undefined;
  }

  /** The names the box answers to through the edge (the Host allow-list learns them). */
  names(): string[] {
    const settings = this.domains.get();
    return settings
      ? edgeNames({
          settings,
          sites: this.sites(),
          autoconfigDomains: this.options.autoconfigDomains?.() ?? [],
        })
      : [];
  }

  /** `https://<install>.<domain>/` when a domain is set and the install has a web entry. */
  url(install: string): string | undefined {
    const settings = this.domains.get();
    return settings ? `https://${install}.${settings.domain}/` : undefined;
  }

  private writeAcmeRoot(): void {
    const root = this.domains.get()?.acmeRoot;
    if (!root) return;
    const path = join(
      edgeStorageDir(this.options.dataDir),
      ACME_ROOT_FILE.slice(CONTAINER.storage.length + 1),
    );
    if (existsSync(path) && readFileSync(path, 'utf8') === root) return;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, root, { mode: 0o644 });
  }

  /**
   * Makes the core install `edge` exist with the ports asked for, pinned to Foyer's own
   * catalogue entry. A no-op when it is so already (no write, no generation bump).
   */
  ensureInstall(): void {
    const { store, catalog, pins, reconciler } = this.options;
    const entry = catalog.core(EDGE_INSTALL);
    if (!entry) throw new Error("the edge (catalog/edge) is missing from Foyer's catalogue");
    mkdirSync(edgeAdminDir(this.options.dataDir), { recursive: true, mode: 0o750 });
    mkdirSync(edgeStorageDir(this.options.dataDir), { recursive: true, mode: 0o700 });
    const settings = {
      HTTP_PORT: String(this.ports.http),
      HTTPS_PORT: String(this.ports.https),
      BIND_ADDRESS: this.ports.address,
    };
    const existing = store.installs.get(EDGE_INSTALL);
    const offered = catalog.definitionHash(EDGE_INSTALL);
    if (existing && existing.desired !== 'absent') {
      const same =
        JSON.stringify(existing.settings) === JSON.stringify(settings) &&
        existing.definition === offered;
      if (same) return;
      const { hash, folder } = pins.pin(entry.dir);
      store.installs.update(EDGE_INSTALL, {
        appDir: entry.dir,
        definition: hash,
        appVersion: folder.manifest.version,
        settings,
        acceptedPermissions: folder.manifest.permissions ?? [],
      });
    } else {
      const { hash, folder } = pins.pin(entry.dir);
      if (existing) store.installs.delete(EDGE_INSTALL);
      store.installs.create({
        id: EDGE_INSTALL,
        appId: EDGE_INSTALL,
        appDir: entry.dir,
        definition: hash,
        appVersion: folder.manifest.version,
        settings,
        acceptedPermissions: folder.manifest.permissions ?? [],
      });
    }
    reconciler.enqueue(EDGE_INSTALL);
  }

  /** Stores new settings, installs or updates the edge, re-renders the apps, pushes the config. */
  apply(settings: DomainSettings): void {
    this.domains.set(settings);
    this.ensureInstall();
    this.renderWithDomain();
    void this.sync.trigger();
  }

  /**
   * Renders the installs with the domain (their web services on foyer-edge) once the edge runs,
   * so its network exists: a container created while it is missing would stay off it, since
   * the planner compares config hashes, not network membership. At a start with a domain
   * already set, the render has it from the first pass (the network is there from before).
   */
  private renderWithDomain(): void {
    const domain = this.domains.get()?.domain;
    if (!domain || this.options.render.domain === domain) return;
    if (this.options.reconciler.status(EDGE_INSTALL)?.state !== 'running') return;
    this.options.render.domain = domain;
    this.options.domainChanged?.();
    this.options.reconciler.renderContextChanged();
  }

  /** The edge install's own trouble, in words a person can act on (a port in use, above all). */
  private installError(): string | undefined {
    const status = this.options.reconciler.status(EDGE_INSTALL);
    if (status?.state !== 'failed' || !status.reason) return undefined;
    if (PORT_TAKEN.test(status.reason)) {
      return (
        `a host port of the edge is already in use (FOYER_HTTP_PORT ${this.ports.http}, ` +
        `FOYER_HTTPS_PORT ${this.ports.https}): ${status.reason}`
      );
    }
    return status.reason;
  }

  /** Caddy's certificate errors per name, from the edge container's recent log lines. */
  private async logErrors(): Promise<Map<string, string>> {
    const docker = this.options.docker;
    if (!docker) return new Map();
    const lines: string[] = [];
    try {
      for await (const line of docker.logs(`${EDGE_INSTALL}-caddy-1`, { tail: 2000 }))
        lines.push(line.text);
    } catch {
      // No container yet: no errors to tell.
    }
    return certificateErrors(lines);
  }

  async status(): Promise<DomainStatus> {
    const settings = this.domains.get();
    const installError = this.installError();
    const sync = this.sync.status;
    const edge = {
      ...sync,
      ...(installError ? { state: 'failed' as const, error: installError } : {}),
      install: this.options.store.installs.get(EDGE_INSTALL) ? EDGE_INSTALL : null,
    };
    const base = {
      mode: settings?.mode ?? null,
      domain: settings?.domain ?? null,
      email: settings?.email ?? null,
      acme: settings?.mode === 'public' ? (settings.acme ?? LETS_ENCRYPT) : null,
      ports: { http: this.ports.http, https: this.ports.https },
      edge,
    };
    if (!settings) return { ...base, names: [], certificates: [] };
    const issuer = issuerKey(
      settings.mode === 'internal' ? undefined : (settings.acme ?? LETS_ENCRYPT),
    );
    const names = statusNames({
      settings,
      sites: this.sites(),
      certificateNames: this.options.certificateNames?.() ?? [],
      autoconfigDomains: this.options.autoconfigDomains?.() ?? [],
    });
    const errors = await this.logErrors();
    const named = names.map(({ name, target }): NameStatus => {
      const expires = this.expiry(issuer, name);
      return {
        name,
        target,
        issuer,
        expires,
        error: errors.get(name) ?? (expires ? null : (edge.error ?? null)),
      };
    });
    return {
      ...base,
      names: named.filter((n) => n.target !== CERTIFICATE_ONLY),
      certificates: named.filter((n) => n.target === CERTIFICATE_ONLY),
    };
  }

  private expiry(issuer: string, name: string): string | null {
    const { crt } = certificateFiles(edgeStorageDir(this.options.dataDir), issuer, name);
    try {
      return new Date(new X509Certificate(readFileSync(crt)).validTo).toISOString();
    } catch {
      return null;
    }
  }

  /** The home CA's root (PEM): from Caddy's admin API, else from its storage. */
  async caRoot(): Promise<string | undefined> {
    try {
      return await this.admin.localRoot();
    } catch {
      const path = join(edgeStorageDir(this.options.dataDir), 'pki/authorities/local/root.crt');
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    }
  }
}
