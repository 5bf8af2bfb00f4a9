/**
 * Who can reach the daemon and how (issue 11 §3, §4), through the real app:
 * a lockout from one address does not keep the owner out from another, and
 * sessions, tokens and the local socket keep working during an attack, which
 * the audit log records without passwords; only the box's own names are
 * served; API answers are neither sniffed nor stored; and only the
 * configured edge may say what scheme, host and client a request has.
 */
import assert from 'node:assert/strict';
import { hostname, networkInterfaces } from 'node:os';
import { describe, test } from 'node:test';
import { BridgeGuard, bridgeFacts } from '../../server/access/bridges.js';
import { HostAllowList, hostOf, parseHostnames } from '../../server/access/hosts.js';
import { parseTrustedProxies, trustOnly } from '../../server/access/proxy.js';
import { type ApiBox, bootApiBox } from '../support/api-box.js';

const PASSWORD = 'correct horse battery';
// Short slow-downs, so a test measures the delay without waiting ten seconds for it.
const loginLimits = { slowBaseMs: 60, slowCapMs: 240 };

function login(box: ApiBox, password: string, remoteAddress: string, username = 'admin') {
  return box.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress,
    headers: { host: 'localhost' },
    payload: { username, password },
  });
}

async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await what();
  return [result, performance.now() - started];
}

describe('sign-in under attack (issue 11 §3)', () => {
  test('wrong passwords from one address do not lock the owner out from another', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await box.setUp(PASSWORD);
    for (let i = 1; i <= 5; i++) {
      assert.equal((await login(box, `wrong ${i}`, '192.0.2.66')).statusCode, 401);
    }
    // That address is refused on that account, even with the right password…
    const refused = await login(box, PASSWORD, '192.0.2.66');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'FOYER_TOO_MANY_REQUESTS');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // …but the owner, elsewhere, gets in: the account is slowed down, never locked.
    const [owner, ms] = await timed(() => login(box, PASSWORD, '198.51.100.10'));
    assert.equal(owner.statusCode, 200, owner.body);
    assert.ok(ms >= loginLimits.slowBaseMs, `answered in ${ms} ms, before the slow-down`);
  });

  test('a flood from many addresses slows the account to its cap and never refuses it', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await box.setUp(PASSWORD);
    for (let i = 1; i <= 12; i++) {
      assert.equal((await login(box, 'wrong', `203.0.113.${i}`)).statusCode, 401);
    }
    const [owner, ms] = await timed(() => login(box, PASSWORD, '198.51.100.10'));
    assert.equal(owner.statusCode, 200, owner.body);
    assert.ok(ms >= loginLimits.slowCapMs, `answered in ${ms} ms`);
    assert.ok(ms < loginLimits.slowCapMs + 2000, `answered in ${ms} ms, past the cap`);
  });

  test('sessions, API tokens and the local socket keep working during an attack', async (t) => {
    // Slow-downs of a second: an answer that was not slowed is far below that even on a busy
    // machine, where 60 ms is not. The attack's logins go at once, as an attacker's would.
    const attackLimits = { slowBaseMs: 1000, slowCapMs: 2000 };
    const box = await bootApiBox(t, { loginLimits: attackLimits, local: true });
    const session = await box.setUp(PASSWORD);
    const created = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: {
        host: 'localhost',
        cookie: `foyer_session=${session}`,
        origin: 'http://localhost',
      },
      payload: { name: 'cli', password: PASSWORD },
    });
    assert.equal(created.statusCode, 201, created.body);
    const token = created.json().token as string;
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => login(box, 'wrong', `203.0.113.${i + 1}`)),
      ...Array.from({ length: 10 }, (_, i) => login(box, 'wrong', '127.0.0.1', `nobody${i + 1}`)),
    ]);
    const me = async (headers: Record<string, string>) => {
      const [response, ms] = await timed(() =>
        box.inject({ url: '/api/auth/me', remoteAddress: '127.0.0.1', headers }),
      );
      assert.equal(response.statusCode, 200, response.body);
      assert.ok(ms < attackLimits.slowBaseMs, `answered in ${ms} ms: slowed down`);
      return response.json().actor.kind;
    };
    assert.equal(await me({ host: 'localhost', cookie: `foyer_session=${session}` }), 'session');
    assert.equal(await me({ host: 'localhost', authorization: `Bearer ${token}` }), 'token');
    const local = await box.local('GET', '/api/auth/me');
    assert.equal(local.status, 200, local.body);
    assert.equal(JSON.parse(local.body).actor.kind, 'local');
  });

  test('failures, refusals and slow-downs are in the audit log, without a password', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await box.setUp(PASSWORD);
    for (let i = 1; i <= 5; i++) await login(box, `wrong password ${i}`, '192.0.2.66');
    for (let i = 0; i < 5; i++) await login(box, PASSWORD, '192.0.2.66');
    assert.equal((await login(box, PASSWORD, '198.51.100.10')).statusCode, 200);
    const entries = box.store.db
      .prepare('SELECT actor, action, target, detail FROM audit_log ORDER BY id')
      .all() as { actor: string; action: string; target: string; detail: string }[];
    assert.deepEqual(
      entries.map((e) => e.action),
      [
        'setup',
        ...Array(5).fill('auth.login.failed'),
        // Five refusals, one entry: an attacker cannot fill the log with them.
        'auth.login.throttled',
        'auth.login.slowed',
        'auth.login',
      ],
    );
    const throttled = entries.find((e) => e.action === 'auth.login.throttled')!;
    assert.equal(throttled.target, 'admin');
    assert.equal(JSON.parse(throttled.detail).address, '192.0.2.66');
    const slowed = JSON.parse(entries.find((e) => e.action === 'auth.login.slowed')!.detail);
    assert.deepEqual(slowed, { address: '198.51.100.10', failures: 5, delayMs: 60 });
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(PASSWORD) && !text.includes('wrong password'));
  });
});

/** The box's first non-loopback IPv4 address, as a client on the LAN would type it. */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
}

describe('the names the box answers to (issue 11 §4)', () => {
  test('another name is refused with 421 before anything else, even on public routes', async (t) => {
    const box = await bootApiBox(t);
    for (const [url, method] of [
      ['/api/health', 'GET'],
      ['/api/setup', 'GET'],
      ['/api/auth/login', 'POST'],
      ['/', 'GET'],
    ] as const) {
      const response = await box.inject({
        method,
        url,
        headers: { host: 'evil.example' },
        ...(method === 'POST' ? { payload: { username: 'admin', password: PASSWORD } } : {}),
      });
      assert.equal(response.statusCode, 421, `${method} ${url}: ${response.body}`);
      assert.equal(response.json().code, 'FOYER_UNKNOWN_HOST');
      assert.match(response.json().message, /"evil\.example".*FOYER_HOSTNAMES/);
    }
    // Setup was not touched: the code still works afterwards.
    assert.equal((await box.inject({ url: '/api/setup' })).json().needed, true);
  });

  test("localhost, loopback, the box's addresses and names, and FOYER_HOSTNAMES are served", async (t) => {
    const box = await bootApiBox(t, {
      access: { hostnames: parseHostnames('foyer.example.org, Box.Lan'), trustedProxies: [] },
    });
    const lan = lanAddress();
    const hosts = [
      'localhost',
      'localhost:8420',
      '127.0.0.1',
      '127.0.0.1:8420',
      '[::1]:8420',
      hostname(),
      `${hostname()}.local:8420`,
      'foyer.example.org',
      'FOYER.example.org.',
      'box.lan:8420',
      ...(lan ? [lan, `${lan}:8420`] : []),
    ];
    for (const host of hosts) {
      const response = await box.inject({ url: '/api/health', headers: { host } });
      assert.equal(response.statusCode, 200, `${host}: ${response.body}`);
    }
    for (const host of [
      'evil.example',
      'localhost.evil.example',
      '10.9.8.7',
      `${hostname()}.evil`,
    ]) {
      const response = await box.inject({ url: '/api/health', headers: { host } });
      assert.equal(response.statusCode, 421, host);
    }
  });

  test('the local unix socket is not checked', async (t) => {
    const box = await bootApiBox(t, { local: true });
    // http.request sends "Host: localhost" over a socket path; the check is skipped before it.
    const me = await box.local('GET', '/api/auth/me');
    assert.equal(me.status, 200, me.body);
  });

  test('hostOf reads names, addresses and ports', () => {
    assert.equal(hostOf('Foyer.Example:8420'), 'foyer.example');
    assert.equal(hostOf('[fe80::1]:8420'), 'fe80::1');
    assert.equal(hostOf('fe80::1'), 'fe80::1');
    assert.equal(hostOf('box.local.'), 'box.local');
    const names = new HostAllowList([], { hostname: () => 'box', addresses: () => ['192.0.2.5'] });
    assert.ok(names.allows('192.0.2.5:80'));
    assert.ok(names.allows('[::ffff:192.0.2.5]'));
    assert.ok(!names.allows(undefined));
    assert.ok(!names.allows(''));
  });
});

describe('answer headers (issue 11 §4)', () => {
  test('API answers are nosniff and no-store, errors and the token too; UI assets keep theirs', async (t) => {
    const box = await bootApiBox(t);
    const session = await box.setUp(PASSWORD);
    const token = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: {
        host: 'localhost',
        cookie: `foyer_session=${session}`,
        origin: 'http://localhost',
      },
      payload: { name: 'cli', password: PASSWORD },
    });
    assert.equal(token.statusCode, 201);
    for (const response of [
      token,
      await box.inject({ url: '/api/health' }),
      await box.inject({ url: '/api/installs' }),
      await box.inject({ url: '/api/nowhere' }),
      await box.inject({ url: '/api/health', headers: { host: 'evil.example' } }),
    ]) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['cache-control'], 'no-store');
    }
    const page = await box.inject({ url: '/' });
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.notEqual(page.headers['cache-control'], 'no-store');
  });
});

describe('the trusted edge (issue 11 §4)', () => {
  const EDGE = '10.0.0.2';
  const forwarded = {
    host: 'foyer:8420',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'box.example.org',
    'x-forwarded-for': '198.51.100.23',
    origin: 'https://box.example.org',
  };

  test('trusts exactly the configured edge, as the direct peer only', () => {
    const trust = trustOnly(parseTrustedProxies('10.0.0.2, fd00::2'));
    assert.equal(trust('10.0.0.2', 0), true);
    assert.equal(trust('::ffff:10.0.0.2', 0), true);
    assert.equal(trust('fd00:0::2', 0), true);
    assert.equal(trust('10.0.0.3', 0), false);
    // Further along X-Forwarded-For the edge's address is whatever the client wrote.
    assert.equal(trust('10.0.0.2', 1), false);
    assert.deepEqual(parseTrustedProxies(undefined), []);
    assert.throws(
      () => parseTrustedProxies('edge.example'),
      /FOYER_TRUSTED_PROXY: "edge\.example"/,
    );
  });

  test("behind the edge, sign-in uses the edge's scheme and host and the client's address", async (t) => {
    const box = await bootApiBox(t, {
      loginLimits,
      access: { hostnames: ['box.example.org'], trustedProxies: [EDGE] },
    });
    await box.setUp(PASSWORD);
    const viaEdge = await box.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: EDGE,
      headers: forwarded,
      payload: { username: 'admin', password: PASSWORD },
    });
    assert.equal(viaEdge.statusCode, 200, viaEdge.body);
    const cookie = viaEdge.cookies.find((c) => c.name === 'foyer_session')!;
    assert.equal(cookie.secure, true, 'the browser spoke HTTPS to the edge');
    // A cookie write from the edge's origin passes the same-origin check.
    const write = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      remoteAddress: EDGE,
      headers: { ...forwarded, cookie: `foyer_session=${cookie.value}` },
      payload: { name: 'edge', password: PASSWORD },
    });
    assert.equal(write.statusCode, 201, write.body);
    const audit = box.store.db
      .prepare("SELECT detail FROM audit_log WHERE action = 'auth.login'")
      .pluck()
      .get() as string;
    assert.equal(JSON.parse(audit).address, '198.51.100.23');
  });

  test("anyone else's X-Forwarded-* headers are ignored", async (t) => {
    const box = await bootApiBox(t, {
      loginLimits,
      access: { hostnames: ['box.example.org'], trustedProxies: [EDGE] },
    });
    const session = await box.setUp(PASSWORD);
    // The same headers from another peer: its Host (foyer) is not the box's, so 421…
    const spoofed = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      remoteAddress: '10.0.0.3',
      headers: { ...forwarded, cookie: `foyer_session=${session}` },
      payload: { name: 'spoofed', password: PASSWORD },
    });
    assert.equal(spoofed.statusCode, 421, spoofed.body);
    // …and with a Host the box answers to, the Origin must match that Host and plain HTTP.
    const crossOrigin = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      remoteAddress: '10.0.0.3',
      headers: { ...forwarded, host: 'box.example.org', cookie: `foyer_session=${session}` },
      payload: { name: 'spoofed', password: PASSWORD },
    });
    assert.equal(crossOrigin.statusCode, 403, crossOrigin.body);
    assert.equal(crossOrigin.json().code, 'FOYER_CROSS_ORIGIN');
    // Sign-in limits count the peer, not the address it claims.
    for (let i = 0; i < 10; i++) {
      await box.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: '10.0.0.3',
        headers: { host: 'localhost', 'x-forwarded-for': `198.51.100.${i}` },
        payload: { username: `nobody${i}`, password: 'wrong' },
      });
    }
    const limited = await box.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '10.0.0.3',
      headers: { host: 'localhost', 'x-forwarded-for': '198.51.100.99' },
      payload: { username: 'admin', password: PASSWORD },
    });
    assert.equal(limited.statusCode, 429);
    assert.equal(box.store.db.prepare('SELECT count(*) FROM api_tokens').pluck().get(), 0);
  });
});

describe('Docker networks refused at the socket (issue 11 §4)', () => {
  const iface = (address: string, cidr: string) =>
    ({ address, cidr, family: address.includes(':') ? 'IPv6' : 'IPv4' }) as never;
  const networks = [
    {
      id: 'a'.repeat(64),
      name: 'bridge',
      labels: {},
      driver: 'bridge',
      subnets: ['172.17.0.0/16'],
      bridge: 'docker0',
    },
    {
      id: '0123456789ab'.padEnd(64, 'f'),
      name: 'web_default',
      labels: {},
      driver: 'bridge',
      subnets: ['172.18.0.0/16'],
    },
    { id: 'c'.repeat(64), name: 'lan', labels: {}, driver: 'macvlan', subnets: ['192.168.1.0/24'] },
    { id: 'd'.repeat(64), name: 'host', labels: {}, driver: 'host', subnets: [] },
  ];
  const interfaces = {
    lo: [iface('127.0.0.1', '127.0.0.1/8')],
    eth0: [iface('192.168.1.20', '192.168.1.20/24'), iface('fe80::1', 'fe80::1/64')],
    docker0: [iface('172.17.0.1', '172.17.0.1/16'), iface('fe80::42:1', 'fe80::42:1/64')],
    'br-0123456789ab': [iface('172.18.0.1', '172.18.0.1/16')],
    // Another engine's bridge (a second dockerd), known only from the host.
    'br-99999999999a': [iface('10.99.0.1', '10.99.0.1/24')],
  };

  test('bridge networks and Docker bridge interfaces, never the LAN, macvlan or link-local', () => {
    const facts = bridgeFacts(networks, interfaces);
    assert.deepEqual(facts.subnets.sort(), [
      '10.99.0.1/24',
      '172.17.0.0/16',
      '172.17.0.1/16',
      '172.18.0.0/16',
      '172.18.0.1/16',
    ]);
    assert.deepEqual(facts.addresses.sort(), ['10.99.0.1', '172.17.0.1', '172.18.0.1']);
  });

  test('refuses clients on those networks and connections to a bridge address, but not the edge', async () => {
    const guard = new BridgeGuard({
      listNetworks: async () => networks,
      interfaces: () => interfaces,
      exempt: ['172.18.0.9'],
    });
    await guard.refresh();
    assert.equal(
      guard.refuses('192.168.1.20', '172.18.0.3'),
      true,
      'an app container dialling the LAN address',
    );
    assert.equal(guard.refuses('172.17.0.1', '172.17.0.2'), true, 'the default bridge');
    assert.equal(guard.refuses('::ffff:192.168.1.20', '::ffff:10.99.0.5'), true, 'IPv4-mapped');
    assert.equal(guard.refuses('172.18.0.1', '192.168.1.30'), true, 'dialled a bridge address');
    assert.equal(guard.refuses('192.168.1.20', '192.168.1.30'), false, 'the LAN');
    assert.equal(guard.refuses('127.0.0.1', '127.0.0.1'), false, 'loopback');
    assert.equal(guard.refuses('192.168.1.20', '172.18.0.9'), false, 'the trusted edge');
  });

  test('keeps the last list when the engine cannot be asked, and the interfaces still count', async () => {
    let fail = false;
    const guard = new BridgeGuard({
      listNetworks: async () => {
        if (fail) throw new Error('engine down');
        return networks;
      },
      interfaces: () => ({}),
    });
    await guard.refresh();
    fail = true;
    await guard.refresh();
    assert.equal(guard.refuses('192.168.1.20', '172.18.0.3'), true);
  });
});
