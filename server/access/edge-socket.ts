/**
 * The daemon's socket for the edge (issue 13): `$FOYER_DATA_DIR/apps/edge/admin/foyer.sock`,
 * in the folder shared with the edge container, so Caddy reaches Foyer's UI and the auth gate
 * with no TCP port exposed. It is a network listener, not the local admin's socket: requests
 * need a session or a token like any over TCP. Its connections get a reserved peer address
 * (`EDGE_PEER`) that Fastify's trustProxy trusts, so X-Forwarded-For/-Proto/-Host are read from
 * Caddy here, and only here.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * An address no TCP peer can have (RFC 6666's discard-only prefix): the edge socket's peer,
 * for the proxy trust and the sign-in limits' fallback.
 */
export const EDGE_PEER = '100::e';

/** A server for the edge socket, sharing the app's handler; its peers are `EDGE_PEER`. */
export function createEdgeServer(handler: RequestListener): Server {
  const server = createServer(handler);
  server.on('connection', (socket) => {
    Object.defineProperty(socket, 'remoteAddress', { value: EDGE_PEER, configurable: true });
  });
  return server;
}

/** Listens on `path`, replacing a socket a killed daemon left. */
export async function listenEdgeSocket(server: Server, path: string): Promise<void> {
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // Root in the edge container connects; nobody else on the host needs to.
  chmodSync(path, 0o660);
}
