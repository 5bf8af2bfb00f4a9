/**
 * The CLI's connection to the daemon (DESIGN.md "Interfaces"): the unix
 * socket `$FOYER_DATA_DIR/foyer.sock` on this machine, where the daemon takes
 * the caller as the local admin; or, when FOYER_URL is set, HTTP(S) to that
 * address with `Authorization: Bearer $FOYER_TOKEN`. Only node:http(s), so
 * every verb starts quickly.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { defaultDataDir, socketPath } from '../paths.js';

/** A problem the daemon names by path, as in its error replies. */
export interface Problem {
  path: string;
  message: string;
}

/** The daemon answered with a 4xx or 5xx. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

/** The daemon could not be reached at all; the message says where it was looked for. */
export class UnreachableError extends Error {}

/** Where and how the CLI reaches the daemon. */
export interface Target {
  /** The unix socket, when not talking over the network. */
  socketPath?: string;
  /** The base URL from FOYER_URL. */
  url?: URL;
  token?: string;
}

/** The daemon's data dir (server/paths.ts, shared with the daemon). */
export const clientDataDir = defaultDataDir;

/** The socket in the data dir, or FOYER_URL (with FOYER_TOKEN) when it is set. */
export function targetFromEnv(env = process.env): Target {
  if (env.FOYER_URL) {
    let url: URL;
    try {
      url = new URL(env.FOYER_URL);
    } catch {
      throw new UnreachableError(`FOYER_URL is not a URL: "${env.FOYER_URL}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UnreachableError(
        `FOYER_URL must start with http:// or https://, not "${url.protocol}"`,
      );
    }
    return { url, token: env.FOYER_TOKEN || undefined };
  }
  return { socketPath: socketPath(clientDataDir(env)) };
}

/** What `where` says in messages: the socket path or the URL. */
function describe(target: Target): string {
  return target.url ? `FOYER_URL=${target.url.href}` : `the socket ${target.socketPath}`;
}

/** Turns a connection error into advice on what to check. */
function unreachable(target: Target, error: NodeJS.ErrnoException): UnreachableError {
  const code = error.code ?? error.message;
  const lead = `cannot reach the Foyer daemon at ${describe(target)} (${code})`;
  if (target.url) {
    return new UnreachableError(
      `${lead}.\nIs \`foyer serve\` running on that host and listening on that port? ` +
        'Unset FOYER_URL to use the local daemon through its socket.',
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new UnreachableError(
      `${lead}.\nThe socket is readable only by the daemon's user: run foyer as that user ` +
        '(for a system daemon, with sudo), or set FOYER_URL and FOYER_TOKEN to use the HTTP API.',
    );
  }
  return new UnreachableError(
    `${lead}.\nIs \`foyer serve\` running? It listens on $FOYER_DATA_DIR/foyer.sock; set ` +
      'FOYER_DATA_DIR to the data dir it uses, or FOYER_URL (and FOYER_TOKEN) to reach a daemon over HTTP.',
  );
}

/** A request to the daemon; a `stream` may stay quiet for long once it has answered. */
interface RequestSpec {
  method: string;
  path: string;
  body?: unknown;
  accept: string;
  stream?: boolean;
}

/** How long the daemon may stay silent before a request gives up. */
const ANSWER_TIMEOUT_MS = 30_000;

export class DaemonClient {
  constructor(readonly target: Target = targetFromEnv()) {}

  /** Sends a request and parses the JSON answer; throws ApiError on 4xx/5xx. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open({ method, path, body, accept: 'application/json' });
    const text = await readAll(res);
    return parseJson(this.target, res, text) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /**
   * Opens a request whose successful answer is read as a stream; an error
   * answer is read whole and thrown as ApiError. `signal` ends it early.
   */
  async stream(path: string, accept: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const res = await this.open({ method: 'GET', path, accept, stream: true }, signal);
    if ((res.statusCode ?? 500) >= 400) parseJson(this.target, res, await readAll(res));
    return res;
  }

  private async open(spec: RequestSpec, signal?: AbortSignal): Promise<IncomingMessage> {
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = { accept: spec.accept };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { target } = this;
    let options: RequestOptions;
    let request: typeof import('node:http').request;
    if (target.url) {
      const base = target.url.pathname.replace(/\/+$/, '');
      options = {
        protocol: target.url.protocol,
        // `[::1]` in a URL is `::1` to node:http.
        hostname: target.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.url.port || undefined,
        path: `${base}${spec.path}`,
      };
      if (target.token) headers.authorization = `Bearer ${target.token}`;
      request =
        target.url.protocol === 'https:'
          ? (await import('node:https')).request
          : (await import('node:http')).request;
    } else {
      options = { socketPath: target.socketPath, path: spec.path };
      request = (await import('node:http')).request;
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req: ClientRequest = request({
        ...options,
        method: spec.method,
        headers,
        agent: false,
        signal,
      });
      req.setTimeout(ANSWER_TIMEOUT_MS, () => {
        const error: NodeJS.ErrnoException = new Error('no answer');
        error.code = `no answer in ${ANSWER_TIMEOUT_MS / 1000} s`;
        req.destroy(error);
      });
      req.on('response', (res) => {
        // Logs and events may be quiet for minutes; only the answer itself is timed.
        if (spec.stream) req.setTimeout(0);
        resolve(res);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') reject(error);
        else reject(unreachable(target, error));
      });
      req.end(payload);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}

/** The answer's JSON; an error answer becomes ApiError, a 401 over HTTP says how to sign in. */
function parseJson(target: Target, res: IncomingMessage, text: string): unknown {
  const status = res.statusCode ?? 500;
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    if (status >= 400)
      throw new ApiError(
        status,
        `HTTP_${status}`,
        text.trim().slice(0, 200) || res.statusMessage || 'error',
      );
    throw new ApiError(status, 'FOYER_BAD_REPLY', 'the daemon sent an answer that is not JSON');
  }
  if (status < 400) return body;
  const error = (body ?? {}) as { code?: string; message?: string; problems?: Problem[] };
  let message = error.message ?? res.statusMessage ?? 'error';
  if (status === 401 && target.url) {
    message += target.token
      ? ' (FOYER_TOKEN was refused: is it a current API token of this daemon?)'
      : ' (set FOYER_TOKEN to an API token to use the daemon over HTTP)';
  }
  throw new ApiError(status, error.code ?? `HTTP_${status}`, message, error.problems ?? []);
}
