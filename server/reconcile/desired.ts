/**
 * Render: one install (its catalogue entry, settings and secrets) → the
 * desired state the planner compares with the engine. Two stages, so the
 * expensive one runs once per change of the install:
 * - `renderProject` loads the app's Compose file with the install's
 *   variables and passes it through the permission gate (cached by the
 *   install's generation);
 * - `desiredState` translates it with the image ids currently known, which
 *   go into each service's config hash.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  BASELINE_API_VERSION,
  ComposeError,
  imageReference,
  loadProject,
  type Problem,
  type Project,
  translateProject,
} from '../../compose/index.js';
import type { AppManifest } from '../catalog/manifest.js';
import { directoryVariables, joinDirectoryNetwork } from '../directory/app-accounts.js';
import { attachToEdge, type WebEntry } from '../edge/attach.js';
import { handOverDir, resolveTls } from '../edge/certificates.js';
import { checkPermissions } from '../security/permissions.js';
import { hashBuildContext } from './build-hash.js';
import type { DesiredService, DesiredState, ObservedState } from './types.js';

/** What the reconciler needs to know of an install (a store row). */
export interface InstallRecord {
  id: string;
  appId: string;
  appDir: string;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  acceptedPermissions: string[];
  desired: 'running' | 'stopped' | 'absent';
  purge: boolean;
  generation: number;
  /**
   * Set while an update works on the install (issue 15): `hold` keeps passes off it (the update
   * stops, copies or restores its volumes), `images` lets them pull or build the new images but
   * leaves the old containers running.
   */
  stage?: 'hold' | 'images';
  /** The password of the install's directory bind account, when it has one (issue 14). */
  ldapBindPassword?: string;
}

/** The parts of a catalogue entry rendering reads. */
export interface AppSource {
  composePath: string;
  composeContent: string;
  permissions: string[];
  /** Certificates the edge hands over (app.yaml `tls`, issue 13). */
  tls?: AppManifest['tls'];
  /** The web entry of app.yaml, which the edge serves when a domain is set. */
  web?: WebEntry;
  /** Where its people sign in (app.yaml `accounts`, issue 14). */
  accounts?: AppManifest['accounts'];
}

export interface RenderContext {
  /** Foyer's data dir; each install's files live in `<dataDir>/apps/<install>`. */
  dataDir: string;
  /** This Foyer's instance id (`foyer.instance` on every object); see paths.ts. */
  instance?: string;
  /**
   * The domain the edge serves, when one is set (issue 13): `FOYER_DOMAIN`, and each install's
   * web service joins the edge network with its web port unpublished. Mutable: the reconciler
   * renders every install again when it changes (`Reconciler.renderContextChanged`).
   */
  domain?: string;
  /** Foyer's OpenID Connect issuer (server/oidc/issuer.ts), handed to apps as FOYER_OIDC_ISSUER. */
  oidcIssuer?: string;
}

/** The folder an install may bind-mount freely (`FOYER_APP_DATA`). */
export function appDataDir(ctx: RenderContext, install: string): string {
  return join(ctx.dataDir, 'apps', install);
}

/** Labels every object of an install carries (DESIGN: ownership by labels). */
export function ownershipLabels(install: InstallRecord, instance?: string): Record<string, string> {
  const labels = {
    'foyer.managed': 'true',
    'foyer.install': install.id,
    'foyer.app': install.appId,
  };
  return instance ? { ...labels, 'foyer.instance': instance } : labels;
}

/** The label filter that selects this Foyer's objects and no other's. */
export function instanceFilter(instance?: string): string {
  return instance ? `foyer.instance=${instance}` : 'foyer.managed=true';
}

/** The real path of `path`, following symlinks as far as the path exists (the permission gate). */
function realPathOf(path: string): string {
  let head = path;
  const tail: string[] = [];
  while (!existsSync(head) && head !== dirname(head)) {
    tail.unshift(basename(head));
    head = dirname(head);
  }
  return join(realpathSync(head), ...tail);
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The interpolation variables of an install: its settings and secrets, then Foyer's own. */
export function renderVariables(
  install: InstallRecord,
  ctx: RenderContext,
): Record<string, string> {
  return {
    ...install.settings,
    ...install.secrets,
    FOYER_INSTALL: install.id,
    FOYER_APP: install.appId,
    FOYER_APP_DATA: appDataDir(ctx, install.id),
    FOYER_DOMAIN: ctx.domain ?? 'localhost',
    // Single sign-on (app.yaml `oidc`): the client id is the install id; its secret is the
    // install's secret FOYER_OIDC_CLIENT_SECRET, already among the secrets above.
    FOYER_OIDC_ISSUER: ctx.oidcIssuer ?? '',
    FOYER_OIDC_CLIENT_ID: install.id,
  };
}

/**
 * Adds the certificate hand-over's read-only bind mounts (app.yaml `tls`): each name's folder
 * in the install's data, at the entry's target in each of its services. The folder's content
 * is not part of the config hash, so a renewal recreates nothing (hand-over.ts reloads).
 */
function mountHandedOverCertificates(
  project: Project,
  app: AppSource,
  environment: Record<string, string>,
  dataDir: string,
): void {
  const problems: Problem[] = [];
  const { entries } = resolveTls(app.tls, environment);
  (app.tls ?? []).forEach((declared, i) => {
    declared.services.forEach((name, j) => {
      if (!project.services[name])
        problems.push({
          path: `app.yaml: tls[${i}].services[${j}]`,
          message: `no service "${name}"`,
        });
    });
  });
  if (problems.length > 0) throw new ComposeError(problems);
  for (const entry of entries) {
    for (const name of entry.services) {
      project.services[name]!.volumes.push({
        type: 'bind',
        source: handOverDir(dataDir, entry.name),
        target: entry.target,
        read_only: true,
        bind: { create_host_path: true },
      });
    }
  }
}

/**
 * The host folders of an install's handed-over certificates (app.yaml `tls`), which the
 * reconciler makes before creating containers, so they belong to Foyer and not to the engine.
 */
export function handOverFolders(
  install: InstallRecord,
  app: AppSource,
  ctx: RenderContext,
): string[] {
  const { entries } = resolveTls(app.tls, renderVariables(install, ctx));
  return entries.map((entry) => handOverDir(appDataDir(ctx, install.id), entry.name));
}

/**
 * Loads the app's Compose file for this install and applies the permission
 * gate. Only the install's variables are visible to it — never the daemon's
 * own environment. Throws ComposeError listing every problem.
 */
export function renderProject(install: InstallRecord, app: AppSource, ctx: RenderContext): Project {
  const dataDir = appDataDir(ctx, install.id);
  const environment = {
    ...renderVariables(install, ctx),
    ...(app.accounts === 'directory'
      ? directoryVariables(install.id, install.ldapBindPassword)
      : {}),
  };
  const { project } = loadProject({
    files: [{ path: app.composePath, content: app.composeContent }],
    environment,
    envFiles: [],
    projectName: install.id,
    workingDir: install.appDir,
    readFile: readIfExists,
  });
  mountHandedOverCertificates(project, app, environment, dataDir);
  const problems = checkPermissions(project, {
    appDataDir: realPathOf(dataDir),
    appDir: install.appDir,
    resolveHostPath: realPathOf,
    declared: app.permissions,
    accepted: install.acceptedPermissions,
  });
  if (problems.length > 0) throw new ComposeError(problems);
  // After the gate: the directory's network is Foyer's own, asked for by `accounts: directory`.
  if (app.accounts === 'directory') joinDirectoryNetwork(project);
  return ctx.domain && app.web ? attachToEdge(project, app.web) : project;
}

/** Services in dependency order: each after everything it depends on (no cycles: the loader refuses them). */
function dependencyOrder(project: Project): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name) || !project.services[name]) return;
    for (const dep of Object.keys(project.services[name].depends_on)) visit(dep);
    order.push(name);
  };
  for (const name of Object.keys(project.services).sort()) visit(name);
  return order;
}

/** Translates a rendered project into the desired state, hashing with the known image ids. */
export function desiredState(
  install: InstallRecord,
  project: Project,
  images: ObservedState['images'],
  options: { apiVersion?: string; buildHashes?: Record<string, string>; instance?: string } = {},
): DesiredState {
  const imageIds: Record<string, string> = {};
  for (const service of Object.values(project.services)) {
    const id = images[imageReference(project, service)]?.id;
    if (id) imageIds[service.name] = id;
  }
  const labels = ownershipLabels(install, options.instance);
  const bodies = translateProject(project, {
    labels,
    defaultRestart: 'unless-stopped',
    honourContainerName: false,
    imageDigests: imageIds,
    apiVersion: options.apiVersion ?? BASELINE_API_VERSION,
  });
  const byName = new Map(bodies.containers.map((c, i) => [Object.keys(project.services)[i]!, c]));
  const services: DesiredService[] = dependencyOrder(project).map((name) => {
    const service = project.services[name]!;
    const spec = byName.get(name)!;
    const image = imageReference(project, service);
    const restart = service.restart ?? 'unless-stopped';
    const desired: DesiredService = {
      name,
      containerName: spec.name,
      hash: (spec.body.Labels as Record<string, string>)['com.docker.compose.config-hash']!,
      image,
      alwaysPull: service.pull_policy === 'always',
      createBody: spec.body,
      connect: spec.connect.map((c) => ({ network: c.network, body: c.body })),
      files: spec.files,
      dependsOn: service.depends_on,
      hasHealthcheck: service.healthcheck !== undefined && !service.healthcheck.disable,
      oneShot: restart === 'no' || restart.startsWith('on-failure'),
      stopTimeout: service.stop_grace_period,
    };
    if (service.build) {
      const hash = options.buildHashes?.[name] ?? hashBuildContext(service.build);
      desired.build = {
        context: service.build.context,
        dockerfile: service.build.dockerfile,
        tag: image,
        args: service.build.args,
        target: service.build.target,
        labels: { ...labels, 'foyer.build-hash': hash },
        hash,
      };
    }
    return desired;
  });
  return {
    install: install.id,
    run: install.desired,
    purge: install.purge,
    ...(install.stage === 'images' ? { imagesOnly: true } : {}),
    networks: bodies.networks.map((body) => ({ name: body.Name as string, body })),
    volumes: bodies.volumes.map((body) => ({ name: body.Name as string, body })),
    services,
  };
}
