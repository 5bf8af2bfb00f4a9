/**
 * Loads dockerode on first use, and turns a DOCKER_HOST value into its
 * options. Importing dockerode costs ~160 ms and ~21 MiB RSS, mostly ssh2
 * (required by docker-modem/lib/ssh.js, for ssh:// hosts) and @grpc/grpc-js
 * (dockerode/lib/session.js, for BuildKit sessions). Foyer needs neither — a
 * unix socket and the classic builder — so unless the host is ssh:// both
 * modules are put into require's cache as stubs that throw if ever called.
 * `npm run bench:docker-import` measures the difference.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

const requireHere = createRequire(import.meta.url);
const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The API version requested on every call: Debian bookworm's docker.io 20.10 speaks 1.41 at most. */
export const API_VERSION = '1.41';

let stubbed = false;

/** dockerode's constructor; with `ssh` false, loaded without its ssh and BuildKit session modules. */
export function loadDockerode(ssh: boolean): typeof Dockerode {
  const dockerodeMain = requireHere.resolve('dockerode');
  if (ssh && stubbed) {
    throw new Error(
      'an ssh:// DOCKER_HOST cannot be used after another host in the same process: ' +
        "docker-modem's ssh transport was replaced by a stub when dockerode was first loaded",
    );
  }
  if (!ssh && !requireHere.cache[dockerodeMain]) {
    // Resolved the way dockerode and docker-modem resolve them, wherever npm placed them.
    const fromDockerode = createRequire(dockerodeMain);
    const modemMain = fromDockerode.resolve('docker-modem');
    stub(
      createRequire(modemMain).resolve('./ssh.js'),
      "docker-modem's ssh transport is not loaded (Foyer stubs it out unless DOCKER_HOST is ssh://)",
    );
    stub(
      fromDockerode.resolve('./session.js'),
      "dockerode's BuildKit session is not loaded (Foyer builds with the classic builder)",
    );
    stubbed = true;
  }
  return requireHere('dockerode') as typeof Dockerode;
}

// A module already loaded for real is left alone: the stub only saves the cost of loading it.
function stub(path: string, message: string): void {
  if (requireHere.cache[path]) return;
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = () => {
    throw new Error(message);
  };
  requireHere.cache[path] = module;
}

/** dockerode's options for a DOCKER_HOST value (unix://, tcp:// or ssh://; unset is the default socket). */
export function dockerOptions(host: string | undefined): Dockerode.DockerOptions {
  // docker-modem merges in its own reading of the environment (DOCKER_HOST, TLS paths,
  // DOCKER_CLIENT_TIMEOUT); explicit undefineds keep it from overriding the host asked for,
  // and no client timeout may cut the long-lived, mostly idle event stream.
  const base = {
    version: `v${API_VERSION}`,
    socketPath: undefined,
    host: undefined,
    port: undefined,
    timeout: undefined,
  };
  if (!host) return { ...base, protocol: 'http', socketPath: DEFAULT_SOCKET };
  if (host.startsWith('unix://')) {
    return {
      ...base,
      protocol: 'http',
      socketPath: host.slice('unix://'.length) || DEFAULT_SOCKET,
    };
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(`DOCKER_HOST must be unix://, tcp:// or ssh://, not "${host}"`);
  }
  if (url.protocol === 'ssh:') {
    return {
      ...base,
      protocol: 'ssh',
      host: url.hostname,
      port: url.port || 22,
      username: decodeURIComponent(url.username) || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    };
  }
  if (url.protocol !== 'tcp:') {
    throw new Error(`DOCKER_HOST must be unix://, tcp:// or ssh://, not "${host}"`);
  }
  // The Docker CLI's conventions: TLS when DOCKER_TLS_VERIFY=1 or on port 2376.
  const tls = process.env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const certs = process.env.DOCKER_CERT_PATH;
  return {
    ...base,
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    ...(tls && certs
      ? {
          ca: readFileSync(join(certs, 'ca.pem')),
          cert: readFileSync(join(certs, 'cert.pem')),
          key: readFileSync(join(certs, 'key.pem')),
        }
      : {}),
  };
}

/** The host as people write it, for error messages. */
export function describeHost(options: Dockerode.DockerOptions): string {
  if (options.socketPath) return `unix://${options.socketPath}`;
  return `${options.protocol === 'ssh' ? 'ssh' : 'tcp'}://${options.host}:${options.port}`;
}
