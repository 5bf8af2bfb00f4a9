/**
 * The daemon's OpenID Connect provider (issue 14): the issuer, the clients the installs declare,
 * and the oidc-provider instance, made at the first request under /oidc and made again when
 * the issuer changes (a domain set), since oidc-provider's issuer is fixed at construction.
 */
import type Database from 'better-sqlite3';
import type { Provider } from 'oidc-provider';
import { readAppFolder } from '../catalog/catalog.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import {
  type AppSource,
  type RenderContext,
  renderProject,
  renderVariables,
} from '../reconcile/desired.js';
import type { Logger } from '../reconcile/reconciler.js';
import type { InstallRepository } from '../store/installs.js';
import { type OidcAccounts, oidcAccounts } from './accounts.js';
import {
  CLIENT_SECRET_KEY,
  type ClientMetadata,
  clientMetadata,
  declaredOrigins,
  webOrigins,
} from './clients.js';
import { currentIssuer, type IssuerSource } from './issuer.js';
import { createProvider } from './provider.js';

export interface OidcServiceOptions {
  db: Database.Database;
  installs: InstallRepository;
  pins: PinnedDefinitions;
  /** The reconciler's render context: apps get the issuer from it (FOYER_OIDC_ISSUER). */
  render: RenderContext;
  /** Reads an app folder as the reconciler does (daemon.ts appSource). */
  loadApp(dir: string): AppSource;
  issuer: IssuerSource;
  /** The names and addresses the box answers to, for web addresses without a domain. */
  names(): string[];
  log: Logger;
}

export class OidcService {
  readonly accounts: OidcAccounts;
  private built?: { issuer: string; provider: Promise<Provider> };
  private selfUrl?: string;

  constructor(private readonly options: OidcServiceOptions) {
    this.accounts = oidcAccounts(options.db);
  }

  /** The daemon listens at `url` (the banner's): the issuer without a domain is known from now. */
  listening(url: string): void {
    this.selfUrl = url;
    this.issuer();
  }

  /** The issuer now; also what the render context hands apps. Undefined before Foyer listens. */
  issuer(): string | undefined {
    const issuer = currentIssuer(this.options.issuer, this.selfUrl);
    this.options.render.oidcIssuer = issuer;
    return issuer;
  }

  /** The provider for the current issuer, built at first use. */
  provider(): Promise<Provider> {
    const issuer = this.issuer();
    if (issuer === undefined) throw new Error('the OpenID Connect issuer is not known yet');
    if (this.built?.issuer !== issuer) {
      const provider = createProvider({
        issuer,
        db: this.options.db,
        accounts: this.accounts,
        findClient: (id) => this.findClient(id),
      });
      this.built = { issuer, provider };
      provider.then(
        // Errors the provider answers 500 for; the client sees no detail, the log does.
        (made) =>
          made.on('server_error', (_ctx: unknown, err: Error) =>
            this.options.log.warn({ err: err.message }, 'OpenID Connect request failed'),
          ),
        () => {
          if (this.built?.provider === provider) this.built = undefined;
        },
      );
    }
    return this.built.provider;
  }

  /** The client of install `id`, when its pinned app.yaml declares `oidc`. */
  findClient(id: string): ClientMetadata | undefined {
    const { installs, pins, render } = this.options;
    const install = installs.get(id);
    if (!install?.definition) return undefined;
    const dir = pins.dir(install.definition);
    let manifest: ReturnType<typeof readAppFolder>['manifest'];
    try {
      manifest = readAppFolder(dir).manifest;
    } catch {
      return undefined;
    }
    const declaration = manifest.oidc;
    if (!declaration) return undefined;
    const secrets = installs.secrets(id);
    const secret = secrets[CLIENT_SECRET_KEY];
    if (!secret) return undefined;
    const record = { ...install, appDir: dir, secrets };
    const declared = declaredOrigins(declaration, renderVariables(record, render));
    for (const problem of declared.problems) {
      this.options.log.warn({ install: id, problem }, 'OpenID Connect origin left out');
    }
    const domain = this.options.issuer.domain();
    const published = domain ? undefined : this.publishedWeb(record, manifest.web);
    return clientMetadata({
      install: id,
      appName: manifest.name,
      declaration,
      secret,
      origins: [
        ...declared.origins,
        ...webOrigins(id, {
          domain,
          httpsPort: this.options.issuer.httpsPort?.(),
          publishedPort: published?.port,
          names: published?.hostIp ? boundNames(published.hostIp) : this.options.names(),
        }),
      ],
    });
  }

  /** The host port (and address, when bound to one) the web entry is published on. */
  private publishedWeb(
    record: Parameters<typeof renderProject>[0],
    web: { service: string; port: number } | undefined,
  ): { port: number; hostIp?: string } | undefined {
    if (!web) return undefined;
    try {
      const app = this.options.loadApp(record.appDir);
      const project = renderProject(record, app, this.options.render);
      const port = project.services[web.service]?.ports.find((p) => p.target === web.port);
      if (!port?.published) return undefined;
      const wildcard = !port.host_ip || port.host_ip === '0.0.0.0' || port.host_ip === '::';
      return { port: Number(port.published), ...(wildcard ? {} : { hostIp: port.host_ip }) };
    } catch {
      return undefined;
    }
  }
}

/** The names a port bound to one address is reached by: that address (and localhost on loopback). */
function boundNames(address: string): string[] {
  return /^127\.|^::1$/.test(address) ? ['localhost', address] : [address];
}
