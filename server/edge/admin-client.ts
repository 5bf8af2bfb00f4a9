/**
 * Caddy's admin API over its unix socket (issue 13; shared/references B1): the only way Foyer
 * talks to the edge. `GET /config/` reads the whole config, `POST /load` replaces it, `GET
 * /pki/ca/local` gives the home CA. Caddy checks the Host of admin requests: over a unix
 * socket it accepts only an empty one.
 */
import { request } from 'node:http';

/** Caddy answered with an error (its message is the body's `error`). */
export class CaddyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CaddyError';
  }
}

export interface CaddyAdmin {
  /** The config Caddy runs now (`null` when it runs none). */
  getConfig(): Promise<unknown>;
  /** Replaces the whole config; throws CaddyError with Caddy's reason when it is refused. */
  load(config: unknown): Promise<void>;
  /** The home CA's root certificate (PEM), once Caddy has made it. */
  localRoot(): Promise<string>;
}

/** What an admin call costs: counted by the sync's tests and the benchmark. */
export interface AdminCounts {
  reads: number;
  writes: number;
}

function call(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  timeoutMs = 30_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        setHost: false,
        timeout: timeoutMs,
        // HTTP/1.1 needs a Host; for a socket it is empty, the only origin Caddy allows there.
        headers: {
          host: '',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`Caddy's admin API did not answer ${method} ${path}`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

function reason(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    // Not JSON: the text is the reason.
  }
  return text.trim() || 'no reason given';
}

/** A client for the admin API at `socketPath`; `counts` is bumped on every call. */
export function caddyAdmin(socketPath: string, counts?: AdminCounts): CaddyAdmin {
  return {
    async getConfig() {
      if (counts) counts.reads++;
      const { status, text } = await call(socketPath, 'GET', '/config/');
      if (status !== 200) throw new CaddyError(status, reason(text));
      return JSON.parse(text) as unknown;
    },
    async load(config) {
      if (counts) counts.writes++;
      const { status, text } = await call(socketPath, 'POST', '/load', JSON.stringify(config));
      if (status !== 200) throw new CaddyError(status, reason(text));
    },
    async localRoot() {
      if (counts) counts.reads++;
      const { status, text } = await call(socketPath, 'GET', '/pki/ca/local');
      if (status !== 200) throw new CaddyError(status, reason(text));
      const ca = JSON.parse(text) as { root_certificate?: string };
      if (!ca.root_certificate) throw new CaddyError(status, 'the home CA has no root yet');
      return ca.root_certificate;
    },
  };
}
