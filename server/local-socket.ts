/**
 * The local unix socket (`$FOYER_DATA_DIR/foyer.sock`, mode 0600): the CLI on
 * the box talks to the daemon through it with no password, as the docker and
 * snap CLIs do — whoever can open the socket is root or the daemon's user.
 * Requests that arrive through it are marked so the auth plugin can tell.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import { createServer, type Server } from 'node:http';

const local = new WeakSet<IncomingMessage>();

/** True when the request came through the local unix socket. */
export function isLocalRequest(request: IncomingMessage): boolean {
  return local.has(request);
}

/** A server whose requests are marked local, sharing the app's handler. */
export function createLocalServer(handler: RequestListener): Server {
  return createServer((req, res) => {
    local.add(req);
    handler(req, res);
  });
}
