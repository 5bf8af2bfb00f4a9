/**
 * Checks shared by the routes that create or change an install (install,
 * reconfigure, update): permissions accepted exactly, settings, a render of
 * the pinned definition with the new values, each refused with a
 * path-qualified 400 before anything is stored.
 */
import type { FastifyRequest } from 'fastify';
import { ComposeError, formatProblem, type Problem } from '../../compose/index.js';
import type { AppFolder } from '../catalog/catalog.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import { Errors } from '../errors.js';
import { type InstallRecord, renderProject } from '../reconcile/desired.js';
import { type FreeResources, requirementProblems } from '../resources/requirements.js';
import { normalisePermission } from '../security/permissions.js';
import type { Install } from '../store/index.js';
import type { Job, JobKind } from '../store/jobs.js';

/** What the installs routes hand to the routes that change an install through a job. */
export interface InstallChangeContext {
  find(id: string): Install;
  /** Checks the running job, decides and writes in one transaction (jobs/admission.ts). */
  changeInstall(
    kind: JobKind,
    installId: string,
    request: FastifyRequest,
    change: (jobId: string) => Install,
    detail?: Record<string, unknown>,
  ): { install: Install; job: Job };
  jobAccepted(change: { install: Install; job: Job }): unknown;
}

/** A problem list as a 400 the error handler passes through. */
export function withProblems<E extends Error>(error: E, problems: Problem[]): E {
  return Object.assign(error, { problems });
}

/** A 400 FOYER_INVALID_SETTINGS listing every problem, in the message and as `problems`. */
export function invalidSettings(problems: Problem[]) {
  const message = problems.map(formatProblem).join('; ');
  return withProblems(new Errors.InvalidSettings(message), problems);
}

/** A 400 FOYER_INVALID_DEFINITION: the app's folder cannot be read or is refused. */
export function invalidDefinition(problems: Problem[]) {
  const message = problems.map(formatProblem).join('; ');
  return withProblems(new Errors.InvalidDefinition(message), problems);
}

/** Pins an app folder; a folder that cannot be read is a path-qualified 400. */
export function pinApp(pins: PinnedDefinitions, dir: string): { hash: string; folder: AppFolder } {
  try {
    return pins.pin(dir);
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    throw invalidDefinition(error.problems.map((p) => ({ ...p, path: `${dir}/${p.path}` })));
  }
}

/** The permissions an app folder declares, normalised. */
export function declaredPermissions(folder: AppFolder): string[] {
  return (folder.manifest.permissions ?? []).map((p) => normalisePermission(p) ?? p);
}

/** Checks that `accepted` is exactly what the app declares; returns it normalised. */
export function checkAccepted(folder: AppFolder, acceptedRaw: string[], verb: string): string[] {
  const declared = declaredPermissions(folder);
  const accepted = acceptedRaw.map((p) => normalisePermission(p) ?? p);
  const missing = declared.filter((p) => !accepted.includes(p));
  const extra = accepted.filter((p) => !declared.includes(p));
  if (missing.length === 0 && extra.length === 0) return accepted;
  const problems = [
    ...missing.map((p) => ({
      path: 'acceptPermissions',
      message: `the app needs "${p}"; accept it to ${verb}`,
    })),
    ...extra.map((p) => ({
      path: 'acceptPermissions',
      message: `the app does not ask for "${p}"`,
    })),
  ];
  throw withProblems(
    new Errors.PermissionsNotAccepted(problems.map((p) => p.message).join('; ')),
    problems,
  );
}

/** Renders the pinned app with these values, so a broken combination is refused before it is stored. */
export function checkRenders(dataDir: string, folder: AppFolder, record: InstallRecord): void {
  try {
    renderProject(
      { ...record, appDir: folder.dir },
      {
        ...folder,
        permissions: folder.manifest.permissions ?? [],
        accounts: folder.manifest.accounts,
      },
      { dataDir },
    );
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    throw invalidSettings(error.problems);
  }
}

/**
 * Refuses (409 FOYER_INSUFFICIENT_RESOURCES, path-qualified) an app whose declared memory or
 * disk does not fit what is free (issue 12 §4); the install route skips it on the override.
 */
export function checkRequirements(folder: AppFolder, free: FreeResources): void {
  const problems = requirementProblems(folder.manifest.requirements ?? {}, free);
  if (problems.length === 0) return;
  throw withProblems(
    new Errors.InsufficientResources(problems.map(formatProblem).join('; ')),
    problems,
  );
}
