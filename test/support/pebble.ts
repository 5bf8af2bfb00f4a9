// A real ACME server on loopback (reference B2): Debian's `pebble`, with `pebble-challtestsrv`
// answering its DNS queries with 127.0.0.1, so validation really connects to the ports given as
// `httpPort` (HTTP-01) and `tlsPort` (TLS-ALPN-01): where the edge under test listens. No
// PEBBLE_VA_ALWAYS_VALID. Debian ships no certificate for Pebble's own HTTPS, so one is made
// here with openssl (test-ca.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackgroundProcess, startBackground } from './background.js';
import { ensureHostTools } from './host-tools.js';
import { freePort } from './ports.js';
import { makeTestCa } from './test-ca.js';

export interface TestPebble {
  /** The ACME directory, `https://<listen host>:<port>/dir`. */
  directoryUrl: string;
  /** The CA of Pebble's own HTTPS: the root an ACME client must trust to reach the directory. */
  caCertPem: string;
  /** The same, as a file (Caddy's `trusted_roots_pem_files`). */
  caCertPath: string;
  /** The root Pebble issues under; made anew at every start, so fetched after it. */
  issuingRootPem: string;
  /** Pebble's port for HTTP-01 and TLS-ALPN-01 validation. */
  httpPort: number;
  tlsPort: number;
  /**
   * Makes challtestsrv answer `addresses` for `host` instead of 127.0.0.1 (its `/add-a`): a name
   * pointing elsewhere, whose validation then fails with the CA's message.
   */
  pointName(host: string, addresses: string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  httpPort?: number;
  tlsPort?: number;
  /**
   * The address Pebble's ACME listener binds (default 127.0.0.1): an edge in a container
   * reaches the host on its Docker network's gateway, not on the host's loopback.
   */
  listenHost?: string;
  /** More subject names for Pebble's own HTTPS certificate (the listen host is always one). */
  extraSans?: string[];
}

/** POSTs JSON to challtestsrv's management API on loopback. */
function postJson(port: number, path: string, body: object): Promise<void> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? done() : fail(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

/** GETs `url` over HTTPS trusting only `ca`; rejects on any status but 200. */
function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((done, fail) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? done(body) : fail(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', fail);
    req.end();
  });
}

async function waitUntil(what: string, procs: BackgroundProcess[], check: () => Promise<unknown>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      const dead = procs.find((p) => p.exited());
      if (dead || Date.now() > deadline) {
        const output = procs.map((p) => p.output()).join('\n');
        throw new Error(`${what}: ${(error as Error).message}\n${output}`);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts Pebble and its DNS server on free loopback ports (Pebble's ACME listener on
 * `listenHost` when given). `httpPort`/`tlsPort` are where Pebble validates challenges
 * (default: free ports nobody listens on yet).
 */
export async function startPebble(options: PebbleOptions = {}): Promise<TestPebble> {
  await ensureHostTools();
  const dir = mkdtempSync(join(tmpdir(), 'foyer-pebble-'));
  const procs: BackgroundProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = await makeTestCa(dir, 'Pebble HTTPS test CA');
    const host = options.listenHost ?? '127.0.0.1';
    const sans = new Set(['localhost', '127.0.0.1', host, ...(options.extraSans ?? [])]);
    const leaf = await ca.issue([...sans]);
    const [listen, management, dns, challtestManagement] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const httpPort = options.httpPort ?? (await freePort());
    const tlsPort = options.tlsPort ?? (await freePort());
    const config = join(dir, 'pebble-config.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `${host}:${listen}`,
          managementListenAddress: `127.0.0.1:${management}`,
          certificate: leaf.certificatePath,
          privateKey: leaf.keyPath,
          httpPort,
          tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    // Every name resolves to 127.0.0.1 (no AAAA answer); the challenge listeners are off.
    procs.push(
      startBackground('pebble-challtestsrv', [
        ...['-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
        ...['-dns01', `127.0.0.1:${dns}`, '-management', `127.0.0.1:${challtestManagement}`],
        ...['-http01', '', '-https01', '', '-tlsalpn01', ''],
      ]),
    );
    procs.push(
      startBackground('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dns}`], {
        // No random 0-15 s sleep before validating; no nonce rejected on purpose (flaky runs).
        env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
        cwd: dir,
      }),
    );
    const directoryUrl = `https://${host}:${listen}/dir`;
    await waitUntil('pebble did not start', procs, () => httpsGet(directoryUrl, ca.rootPem));
    const issuingRootPem = (await waitUntil('pebble gave no root', procs, () =>
      httpsGet(`https://127.0.0.1:${management}/roots/0`, ca.rootPem),
    )) as string;
    return {
      directoryUrl,
      caCertPem: ca.rootPem,
      caCertPath: ca.rootPath,
      issuingRootPem,
      httpPort,
      tlsPort,
      pointName: (name, addresses) =>
        postJson(challtestManagement, '/add-a', { host: `${name.replace(/\.$/, '')}.`, addresses }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
