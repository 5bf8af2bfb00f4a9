/**
 * Loading a project: parse each file, interpolate it with the project's
 * variables, merge the files in order, normalise, and check references.
 * Interpolation runs before any short syntax is parsed, so a nested default
 * may contain `:` (spec: Interpolation). Every problem is collected; a load
 * either returns a whole project or throws a ComposeError listing them all.
 */
import { posix } from 'node:path';
import { parseDotenv } from './dotenv.js';
import { interpolateString, interpolateTree, type Lookup } from './interpolate.js';
import { isOverride, markOverride, mergeDocuments, OVERRIDE, resolveMergeTags } from './merge.js';
import type { Project } from './model.js';
import { Diagnostics, joinPath, type Problem } from './problems.js';
import { normaliseProjectName, readProject } from './project.js';
import { isMap, type RawMap } from './raw.js';
import { applyDefaultNetwork, applyProfiles, checkReferences } from './references.js';
import { parseComposeYaml } from './yaml.js';

/** A Compose file's absolute path and its text. */
export interface ComposeFile {
  path: string;
  content: string;
}

export interface LoadOptions {
  /** Files in merge order; later files override earlier ones (spec: Merge and override). */
  files: ComposeFile[];
  /** Variables of the caller's environment; they win over env files. */
  environment?: Record<string, string | undefined>;
  /** Env files to read instead of `<working dir>/.env` (`--env-file`); relative to the working dir. */
  envFiles?: string[];
  projectName?: string;
  /** Folder relative paths resolve against; defaults to the first file's folder. */
  workingDir?: string;
  /** Active profiles (spec: Profiles); services with other profiles are left out. */
  profiles?: string[];
  /** Reads a file the project refers to (`.env`, `env_file`); undefined when missing. */
  readFile?: (absolutePath: string) => string | undefined;
}

export interface LoadResult {
  project: Project;
  /** Non-fatal findings, such as unset variables. */
  warnings: Problem[];
}

/**
 * `interpolateTree` over a parsed file, keeping the `!override` marks of
 * yaml.ts: interpolateTree copies string keys only and would turn a mark into
 * `{}`, which the merger then refuses to merge with a list (spec: Replace value).
 */
function interpolateDocument(
  value: unknown,
  lookup: Lookup,
  path: string,
  diag: Diagnostics,
): unknown {
  if (isOverride(value)) {
    return markOverride(interpolateDocument(value[OVERRIDE], lookup, path, diag));
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => interpolateDocument(item, lookup, joinPath(path, i), diag));
  }
  if (!isMap(value)) return interpolateTree(value, lookup, path, diag);
  const copy: RawMap = {};
  for (const [key, item] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` key must stay a key.
    Object.defineProperty(copy, key, {
      value: interpolateDocument(item, lookup, joinPath(path, key), diag),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** A variable's value; inherited members such as `toString` are not variables. */
function own(map: Record<string, string | undefined>, name: string): string | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

/** Reads the project's variables: env files first, then the caller's environment on top. */
function projectVariables(
  options: LoadOptions,
  workingDir: string,
  diag: Diagnostics,
): Record<string, string> {
  const environment = options.environment ?? {};
  const readFile = options.readFile ?? (() => undefined);
  const variables: Record<string, string> = {};
  const lookup: Lookup = (name) => own(environment, name) ?? own(variables, name);
  const explicit = options.envFiles !== undefined;
  for (const file of options.envFiles ?? ['.env']) {
    const path = posix.resolve(workingDir, file);
    const content = readFile(path);
    if (content === undefined) {
      if (explicit) diag.error(file, `env file ${path} not found`);
      continue;
    }
    Object.assign(variables, parseDotenv(content, path, lookup, diag));
  }
  for (const [key, value] of Object.entries(environment))
    if (value !== undefined) variables[key] = value;
  return variables;
}

/**
 * The top-level `name` of the last file that sets one, interpolated. Problems
 * are left to the full interpolation of the documents, which reports them once.
 */
function nameFromFiles(docs: RawMap[], lookup: Lookup): string | undefined {
  const raw = docs.findLast((doc) => typeof doc.name === 'string')?.name;
  if (typeof raw !== 'string') return undefined;
  return interpolateString(raw, lookup, 'name', new Diagnostics());
}

/** Loads, merges, normalises and checks a project; throws ComposeError with every problem. */
export function loadProject(options: LoadOptions): LoadResult {
  const diag = new Diagnostics();
  if (options.files.length === 0) diag.error('', 'no Compose file given');
  diag.throwIfAny();
  const workingDir = options.workingDir ?? posix.dirname(options.files[0]!.path);
  const variables = projectVariables(options, workingDir, diag);
  const lookup: Lookup = (name) => own(variables, name);

  const docs: RawMap[] = [];
  for (const file of options.files) {
    const doc = parseComposeYaml(file.content, file.path, diag);
    if (doc) docs.push(doc);
  }

  const rawName =
    options.projectName ??
    variables.COMPOSE_PROJECT_NAME ??
    nameFromFiles(docs, lookup) ??
    posix.basename(workingDir);
  const projectName = normaliseProjectName(rawName);
  if (!projectName)
    diag.error(
      'name',
      `"${rawName}" is not a valid project name (use lowercase letters, digits, "-" and "_")`,
    );
  // Spec (Name top-level element): the project name "is exposed for interpolation and
  // environment variable resolution as `COMPOSE_PROJECT_NAME`".
  else variables.COMPOSE_PROJECT_NAME = projectName;

  let merged: RawMap | undefined;
  for (const doc of docs) {
    const interpolated = interpolateDocument(doc, lookup, '', diag);
    if (!isMap(interpolated)) continue;
    merged = merged ? mergeDocuments(merged, interpolated, diag) : interpolated;
  }
  diag.throwIfAny();
  const doc = resolveMergeTags(merged) as RawMap;

  const project = readProject(
    doc,
    projectName,
    { workingDir, home: variables.HOME, lookup, readFile: options.readFile ?? (() => undefined) },
    diag,
  );
  applyDefaultNetwork(project);
  checkReferences(project, diag);
  applyProfiles(project, options.profiles ?? variables.COMPOSE_PROFILES?.split(',') ?? [], diag);
  diag.throwIfAny();
  return { project, warnings: diag.warnings };
}
