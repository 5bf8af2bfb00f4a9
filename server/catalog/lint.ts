/**
 * The catalogue lint (`foyer catalog lint`): what an app folder must get
 * right beyond parsing before it ships in the catalogue (DESIGN.md
 * "Catalogue" and "Security"). Every problem's path starts with the file it
 * is in (`app.yaml: settings[1].key`, `compose.yaml: services.web.healthcheck`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProject, type Project, translateProject } from '../../compose/index.js';
import { ComposeError, joinPath, type Problem } from '../../compose/problems.js';
import { directoryVariables } from '../directory/app-accounts.js';
import { resolveTls } from '../edge/certificates.js';
import { covers, normalisePermission, requestedPermissions } from '../security/permissions.js';
import { type AppFolder, readAppFolder } from './catalog.js';
import type { AppManifest, Setting } from './manifest.js';

/** The interpolation variables Foyer itself passes to every install (server/reconcile/desired.ts). */
export const FOYER_VARIABLES = [
  'FOYER_INSTALL',
  'FOYER_APP',
  'FOYER_APP_DATA',
  'FOYER_DOMAIN',
  'FOYER_OIDC_ISSUER',
  'FOYER_OIDC_CLIENT_ID',
  'FOYER_OIDC_CLIENT_SECRET',
];

/** Every problem of one app folder; an empty list means it is fit for the catalogue. */
export function lintApp(dir: string): Problem[] {
  let app: AppFolder;
  try {
    app = readAppFolder(dir);
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
  const compose = basename(app.composePath);
  const problems: Problem[] = [];
  const project = loadAndTranslate(app, compose, problems);
  if (project) {
    checkPermissions(app, project, compose, problems);
    checkServices(project, compose, problems);
    checkTls(app, project, compose, problems);
    checkMemberData(app, project, compose, problems);
    checkMemberSessions(app, project, compose, problems);
  }
  checkVariables(app, compose, problems);
  checkDescription(app, problems);
  return problems;
}

/**
 * Lints every app of the given folders: a folder holding app.yaml is one app,
 * any other is a catalogue whose subfolders with app.yaml are apps.
 */
export function lintCatalog(dirs: string[]): { app: string; problems: Problem[] }[] {
  return dirs.flatMap(appDirsOf).map((dir) => ({ app: basename(dir), problems: lintApp(dir) }));
}

/** The app folders a folder given to the lint stands for, by name; hidden ones are skipped. */
export function appDirsOf(dir: string): string[] {
  const folder = resolve(dir);
  if (existsSync(join(folder, 'app.yaml'))) return [folder];
  return readdirSync(folder)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(folder, name))
    .filter((sub) => isDirectory(sub) && existsSync(join(sub, 'app.yaml')));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the lint pretends the install's data lives (`FOYER_APP_DATA`). */
function placeholderDataDir(manifest: AppManifest): string {
  return `/var/lib/foyer/apps/${manifest.id}`;
}

/** A value that satisfies the setting's type, so the Compose file can be loaded without an install. */
function placeholder(setting: Setting): string {
  if (setting.default !== undefined) return String(setting.default);
  switch (setting.type) {
    case 'number': {
      const value = setting.min ?? (setting.max !== undefined && setting.max < 1 ? setting.max : 1);
      return String(value);
    }
    case 'boolean':
      return 'true';
    case 'choice':
      return setting.choices?.[0] ?? 'x';
    case 'domain':
      return 'example.org';
    case 'email':
      return 'a@example.org';
    default:
      return 'x';
  }
}

/** Check 2: the Compose file loads with placeholder settings and translates to engine bodies. */
function loadAndTranslate(
  app: AppFolder,
  compose: string,
  problems: Problem[],
): Project | undefined {
  const { manifest } = app;
  const environment: Record<string, string> = {
    FOYER_INSTALL: manifest.id,
    FOYER_APP: manifest.id,
    FOYER_APP_DATA: placeholderDataDir(manifest),
    FOYER_DOMAIN: 'example.org',
    FOYER_OIDC_ISSUER: 'https://example.org/oidc',
    FOYER_OIDC_CLIENT_ID: manifest.id,
    ...(manifest.oidc ? { FOYER_OIDC_CLIENT_SECRET: 'placeholder-client-secret' } : {}),
  };
  for (const setting of manifest.settings ?? []) environment[setting.key] = placeholder(setting);
  const inCompose = (problem: Problem): Problem => ({
    path: problem.path.startsWith(app.composePath)
      ? compose + problem.path.slice(app.composePath.length)
      : problem.path
        ? `${compose}: ${problem.path}`
        : compose,
    message: problem.message,
  });
  try {
    const { project } = loadProject({
      files: [{ path: app.composePath, content: app.composeContent }],
      environment,
      envFiles: [],
      projectName: manifest.id,
      workingDir: app.dir,
      readFile: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
    });
    translateProject(project, { defaultRestart: 'unless-stopped', honourContainerName: false });
    return project;
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    problems.push(...error.problems.map(inCompose));
    return undefined;
  }
}

/** Check 3: the declared permissions are exactly those the Compose file asks for. */
function checkPermissions(
  app: AppFolder,
  project: Project,
  compose: string,
  problems: Problem[],
): void {
  const declared = app.manifest.permissions ?? [];
  const granted = declared.map((p) => normalisePermission(p) ?? p);
  const requests = requestedPermissions(project, {
    appDataDir: placeholderDataDir(app.manifest),
    appDir: app.dir,
  });
  for (const { permission, path } of requests) {
    if (granted.some((g) => covers(g, permission))) continue;
    problems.push({
      path: `${compose}: ${path}`,
      message: `needs the permission "${permission}", which app.yaml does not declare`,
    });
  }
  granted.forEach((permission, i) => {
    if (requests.some((r) => covers(permission, r.permission))) return;
    problems.push({
      path: `app.yaml: ${joinPath('permissions', i)}`,
      message: `"${declared[i]}" is declared but ${compose} does not need it`,
    });
  });
}

/** `name:tag@sha256:<64 hex>`; a registry's port (`host:5000/name`) is not a tag. */
const PINNED = /^[^@\s]+@sha256:[0-9a-f]{64}$/;

function isPinned(image: string): boolean {
  if (!PINNED.test(image)) return false;
  const name = image.slice(0, image.indexOf('@'));
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon > 0 && colon < last.length - 1;
}

/** Checks 4 and 5: health checks on long-running services; upstream images pinned. */
function checkServices(project: Project, compose: string, problems: Problem[]): void {
  for (const [name, service] of Object.entries(project.services)) {
    const at = (key: string) => `${compose}: ${joinPath(joinPath('services', name), key)}`;
    const restart = service.restart ?? 'unless-stopped';
    const longRunning = restart !== 'no' && !restart.startsWith('on-failure');
    if (longRunning && (service.healthcheck === undefined || service.healthcheck.disable)) {
      problems.push({
        path: at('healthcheck'),
        message: 'a long-running service needs a health check that proves it answers',
      });
    }
    if (service.image !== undefined && service.build === undefined && !isPinned(service.image)) {
      problems.push({
        path: at('image'),
        message: `"${service.image}" is an upstream image and must be pinned by tag and digest (name:tag@sha256:<64 hex>)`,
      });
    }
  }
}

/** Handed-over certificates (`tls`) name services of the Compose file and resolve to host names. */
function checkTls(app: AppFolder, project: Project, compose: string, problems: Problem[]): void {
  const declared = app.manifest.tls ?? [];
  declared.forEach((entry, i) => {
    entry.services.forEach((service, j) => {
      if (project.services[service]) return;
      problems.push({
        path: `app.yaml: ${joinPath(joinPath(joinPath('tls', i), 'services'), j)}`,
        message: `${compose} has no service "${service}"`,
      });
    });
  });
  const environment: Record<string, string> = { FOYER_DOMAIN: 'example.org' };
  for (const setting of app.manifest.settings ?? [])
    environment[setting.key] = placeholder(setting);
  for (const problem of resolveTls(declared, environment).problems) {
    problems.push({ path: `app.yaml: ${problem.path}`, message: problem.message });
  }
}

/** A member's data (`memberData`) is in a named volume the declared service mounts. */
function checkMemberData(
  app: AppFolder,
  project: Project,
  compose: string,
  problems: Problem[],
): void {
  (app.manifest.memberData ?? []).forEach((entry, i) => {
    const at = (field: string) => `app.yaml: ${joinPath(joinPath('memberData', i), field)}`;
    const service = project.services[entry.service];
    if (!service) {
      problems.push({
        path: at('service'),
        message: `${compose} has no service "${entry.service}"`,
      });
      return;
    }
    if (!project.volumes[entry.volume]) {
      problems.push({ path: at('volume'), message: `${compose} has no volume "${entry.volume}"` });
      return;
    }
    const mounted = service.volumes.some((m) => m.type === 'volume' && m.source === entry.volume);
    if (!mounted) {
      problems.push({
        path: at('volume'),
        message: `service "${entry.service}" does not mount the volume "${entry.volume}"`,
      });
    }
  });
}

/** The service that closes a member's sessions (`memberSessions`) is one of the app's. */
function checkMemberSessions(
  app: AppFolder,
  project: Project,
  compose: string,
  problems: Problem[],
): void {
  (app.manifest.memberSessions ?? []).forEach((entry, i) => {
    if (project.services[entry.service]) return;
    problems.push({
      path: `app.yaml: ${joinPath(joinPath('memberSessions', i), 'service')}`,
      message: `${compose} has no service "${entry.service}"`,
    });
  });
}

/** `$$` (a literal dollar), `${NAME…}` or `$NAME`. */
const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Check 6: every variable the Compose file uses is passed to it, and every setting is used. */
function checkVariables(app: AppFolder, compose: string, problems: Problem[]): void {
  const settings = app.manifest.settings ?? [];
  // An app that takes its accounts from the directory also gets the FOYER_LDAP_* variables.
  const ldap = app.manifest.accounts === 'directory' ? Object.keys(directoryVariables('', '')) : [];
  const known = new Set([...FOYER_VARIABLES, ...ldap, ...settings.map((s) => s.key)]);
  const used = new Set<string>();
  const lines = app.composeContent.split('\n');
  lines.forEach((line, i) => {
    for (const match of line.matchAll(VARIABLE)) {
      const name = match[1] ?? match[2];
      if (name === undefined) continue;
      if (!known.has(name) && !used.has(name)) {
        const hint = name.startsWith('FOYER_LDAP_') ? '; declare "accounts: directory" for it' : '';
        problems.push({
          path: `${compose}:${i + 1}`,
          message: `uses the variable ${name}, which is neither a setting in app.yaml nor a Foyer variable (${FOYER_VARIABLES.join(', ')})${hint}`,
        });
      }
      used.add(name);
    }
  });
  settings.forEach((setting, i) => {
    if (used.has(setting.key)) return;
    problems.push({
      path: `app.yaml: ${joinPath(joinPath('settings', i), 'key')}`,
      message: `the setting ${setting.key} is not used by ${compose}`,
    });
  });
}

/** Check 7: what the catalogue shows and the installer checks is declared; the icon exists. */
function checkDescription(app: AppFolder, problems: Problem[]): void {
  const { manifest } = app;
  const problem = (path: string, message: string) =>
    problems.push({ path: `app.yaml: ${path}`, message });
  if (!manifest.architectures || manifest.architectures.length === 0) {
    problem('architectures', 'must list the architectures the app runs on (amd64, arm64, …)');
  }
  if (!manifest.requirements) {
    problem('requirements', 'must declare the memory and disk the app needs');
  } else {
    if (manifest.requirements.memory === undefined) {
      problem('requirements.memory', 'must declare the memory the app needs');
    }
    if (manifest.requirements.disk === undefined) {
      problem('requirements.disk', 'must declare the disk space the app needs');
    }
  }
  if (manifest.icon === undefined) {
    problem('icon', 'must name the icon file in the app folder');
  } else {
    const path = resolve(app.dir, manifest.icon);
    const inside = path.startsWith(app.dir + sep);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      isFile = false;
    }
    if (!inside || !isFile) {
      problem('icon', `"${manifest.icon}" is not a file in the app folder`);
    }
  }
}

/**
 * Foyer's own catalogue and the FOYER_CATALOG folders, as the daemon reads
 * them (server/daemon.ts), without loading the daemon: the package root is
 * the nearest folder above this module holding package.json.
 */
export function defaultLintDirs(env = process.env): string[] {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dir !== dirname(dir)) dir = dirname(dir);
  const extra = (env.FOYER_CATALOG ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => resolve(d));
  return [join(dir, 'catalog'), ...extra];
}

const USAGE = 'usage: foyer catalog lint [folder…]\n';

/**
 * `foyer catalog lint [folder…]`: one `<app>: <path>: <message>` line per
 * problem and a summary on stderr. Exit 0 when clean, 1 on any problem,
 * 2 on a usage error (an unknown option, a folder that does not exist).
 */
export function catalogLint(args: string[], err: NodeJS.WritableStream = process.stderr): number {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args, allowPositionals: true, options: {} }));
  } catch (error) {
    err.write(`foyer catalog lint: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const given = positionals.length > 0;
  const dirs = given ? positionals : defaultLintDirs();
  const appDirs: string[] = [];
  for (const dir of dirs) {
    if (!isDirectory(dir)) {
      if (!given) continue;
      err.write(`foyer catalog lint: ${dir}: not a folder\n${USAGE}`);
      return 2;
    }
    const found = appDirsOf(dir);
    if (found.length === 0 && given) {
      err.write(`foyer catalog lint: ${dir}: no app.yaml in it or in its subfolders\n${USAGE}`);
      return 2;
    }
    appDirs.push(...found);
  }
  const results = lintCatalog(appDirs);
  let count = 0;
  for (const { app, problems } of results) {
    for (const problem of problems) {
      err.write(`${app}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}\n`);
      count++;
    }
  }
  const failing = results.filter((r) => r.problems.length > 0).length;
  const apps = `${results.length} app${results.length === 1 ? '' : 's'}`;
  err.write(
    count === 0
      ? `${apps} checked, no problems\n`
      : `${apps} checked, ${count} problem${count === 1 ? '' : 's'} in ${failing}\n`,
  );
  return count === 0 ? 0 : 1;
}
