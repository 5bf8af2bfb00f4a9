/**
 * Problems found while loading a Compose project. Every problem names the path
 * of the offending value (`services.web.ports[1]`), so a person can find it.
 * The loader collects all problems instead of stopping at the first one.
 */
export interface Problem {
  /** Dotted path into the document (`services.web.ports[1]`), or `file:line` for env files. */
  path: string;
  message: string;
}

/** Thrown when a project cannot be loaded; carries every problem found. */
export class ComposeError extends Error {
  readonly problems: Problem[];

  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ComposeError';
    this.problems = problems;
  }
}

/** `path: message`, the one-line form printed by `foyer compose config`. */
export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** Appends a key to a path: `join('services', 'web')` is `services.web`; keys with dots are quoted. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${part}` : part;
}

/** Collects problems and warnings while one load runs. */
export class Diagnostics {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];

  error(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Throws a ComposeError holding every problem, if there is any. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new ComposeError(this.problems);
  }
}
