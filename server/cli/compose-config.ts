/**
 * `foyer compose config <file…> [--env-file F] [--project-name N] [--profile P]`:
 * prints the normalised project as JSON in the shape of
 * `docker compose config --format json`. Exit 0 on success; on error, one
 * `path: message` line per problem on stderr and exit 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ComposeError, formatProblem, loadProject, toComposeConfig } from '../../compose/index.js';

/** Reads a file the project refers to; undefined when it does not exist. */
function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Runs the verb; returns the exit code. */
export function composeConfig(args: string[], out = process.stdout, err = process.stderr): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    err.write(`foyer compose config: ${(error as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const paths = positionals.length > 0 ? positionals : ['compose.yaml'];
  const files = [];
  for (const path of paths) {
    const absolute = resolve(path);
    const content = readIfExists(absolute);
    if (content === undefined) {
      err.write(`${path}: file not found\n`);
      return 1;
    }
    files.push({ path: absolute, content });
  }
  try {
    const { project, warnings } = loadProject({
      files,
      environment: process.env,
      envFiles: values['env-file']?.map((f) => resolve(f)),
      projectName: values['project-name'],
      profiles: values.profile,
      readFile: readIfExists,
    });
    for (const warning of warnings) err.write(`warning: ${formatProblem(warning)}\n`);
    out.write(`${JSON.stringify(toComposeConfig(project), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    for (const problem of error.problems) err.write(`${formatProblem(problem)}\n`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      'env-file': { type: 'string', multiple: true },
      'project-name': { type: 'string', short: 'p' },
      profile: { type: 'string', multiple: true },
    },
  });
}
