/**
 * The one way the UI talks to the daemon: same-origin `fetch` on `/api`,
 * JSON in and out, the session in its HttpOnly cookie. A failed call throws
 * `ApiError` with the API's stable `code`, its message and the
 * path-qualified `problems` (`settings.PORT`) that forms show by their field.
 * Writes carry the page's own Origin (browsers add it), which the daemon's
 * CSRF check requires of cookie-authenticated writes.
 */

/** One path-qualified problem of a 400 (`{ path: 'settings.PORT', message: 'must be …' }`). */
export interface Problem {
  path: string;
  message: string;
}

/** An error answer of the API (server/routes/schemas.ts ErrorReply), or a network failure. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** `FOYER_*` from server/errors.ts; `NETWORK` when the daemon could not be reached. */
    readonly code: string,
    readonly status: number,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }

  /** The problems whose path starts with `prefix.` (or is `prefix`), keyed by the rest of the path. */
  problemsUnder(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of this.problems) {
      if (p.path === prefix) out[''] = p.message;
      else if (p.path.startsWith(`${prefix}.`)) out[p.path.slice(prefix.length + 1)] ??= p.message;
    }
    return out;
  }
}

type Listener = (error: ApiError) => void;
const unauthenticatedListeners = new Set<Listener>();

/** Calls `listener` whenever a call answers 401 FOYER_UNAUTHENTICATED (the session ended). */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  /** A JSON body. */
  body?: unknown;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

/** Builds `/api/...?query` from a path relative to /api. */
export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(key, String(value));
  }
  const search = params.size > 0 ? `?${params}` : '';
  return `/api${path}${search}`;
}

/** A path segment from an id (install ids and app ids are safe, but never trust that). */
export const seg = (id: string | number) => encodeURIComponent(String(id));

/** One API call; resolves to the JSON answer (undefined for 204) or throws ApiError. */
export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    signal: options.signal ?? null,
  };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), init);
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('NETWORK', 0, 'Foyer cannot be reached');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body as T;
  const reply = (body ?? {}) as Partial<{ code: string; message: string; problems: Problem[] }>;
  const error = new ApiError(
    reply.code ?? `HTTP_${response.status}`,
    response.status,
    reply.message ?? (response.statusText || `HTTP ${response.status}`),
    reply.problems ?? [],
  );
  if (error.code === 'FOYER_UNAUTHENTICATED') {
    for (const listener of unauthenticatedListeners) listener(error);
  }
  throw error;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, { ...options, body: body ?? {} }),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, { ...options, body }),
  put: <T>(path: string, body: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};
