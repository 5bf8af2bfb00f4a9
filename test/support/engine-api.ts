// A minimal Docker Engine API client over the engine's unix socket, for tests that send the
// bodies Foyer's translation produces exactly as they are.
import { request } from 'node:http';

export interface EngineResponse {
  status: number;
  body: unknown;
}

/** Sends one Engine API request (`/v1.41` prefixed: Debian bookworm's Docker 20.10) and parses a JSON answer when there is one. */
export function engineRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path: `/v1.41${path}`,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like engineRequest, but rejects unless the status is 2xx. */
export async function engineCall(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await engineRequest(socketPath, method, path, body);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}
