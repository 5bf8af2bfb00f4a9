// The pieces of the first-run output (issue 11 §5): which addresses the banner shows, the
// banner's plain lines, and the log's format (pretty on a terminal, JSON elsewhere or when asked).
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, test } from 'node:test';
import { lanAddresses, reachableUrls } from '../../server/addresses.js';
import { startBanner } from '../../server/banner.js';
import { logFormat, prettyLine } from '../../server/log.js';

function nic(address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) {
  return { address, family, internal } as NetworkInterfaceInfo;
}

const interfaces = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  eth0: [nic('192.168.1.20'), nic('fe80::1', 'IPv6')],
  docker0: [nic('172.17.0.1')],
  'br-0123456789ab': [nic('172.18.0.1')],
  vethabc: [nic('169.254.3.4')],
};
const hardware = (name: string) => name === 'eth0';

describe('LAN addresses', () => {
  test('physical interfaces only: no loopback, Docker bridges or link-local', () => {
    assert.deepEqual(lanAddresses(interfaces, hardware), ['192.168.1.20']);
  });

  test('without /sys (a container, another OS), names like Docker or libvirt are left out', () => {
    const unknown = () => undefined;
    assert.deepEqual(lanAddresses(interfaces, unknown), ['192.168.1.20']);
  });

  test('IPv6 only when there is no IPv4, in brackets', () => {
    const v6 = { eth0: [nic('2001:db8::5', 'IPv6'), nic('fe80::1', 'IPv6')] };
    const lan = lanAddresses(v6, () => true);
    assert.deepEqual(lan, ['2001:db8::5']);
    assert.deepEqual(reachableUrls('::', 8420, lan).network, ['http://[2001:db8::5]:8420/']);
  });

  test('a daemon bound to one address is reached there only', () => {
    assert.deepEqual(reachableUrls('127.0.0.1', 8420, ['192.168.1.20']), {
      local: 'http://127.0.0.1:8420/',
      network: [],
    });
    assert.deepEqual(reachableUrls('0.0.0.0', 8420, ['192.168.1.20']), {
      local: 'http://localhost:8420/',
      network: ['http://192.168.1.20:8420/'],
    });
  });
});

describe('start-up banner', () => {
  test('a fresh box: the LAN URL and the setup code, each on a line of its own', () => {
    const text = startBanner({
      local: 'http://localhost:8420/',
      network: ['http://192.168.1.20:8420/', 'http://10.0.0.2:8420/'],
      readyMs: 300,
      setupCode: 'K7QM-3XPD-WA9R',
      setupCodePath: '/var/lib/foyer/setup-code',
    });
    const lines = text.split('\n');
    assert.equal(lines[0], 'Foyer is running at http://localhost:8420/ (ready in 300 ms)');
    assert.equal(lines[1], '  From other devices on your network: http://192.168.1.20:8420/');
    assert.equal(lines[2]?.trim(), 'http://10.0.0.2:8420/');
    assert.ok(lines.includes('  First-run setup code: K7QM-3XPD-WA9R'));
    assert.match(text, /one of the addresses above/);
  });

  test('a box that is set up: no code', () => {
    const text = startBanner({
      local: 'http://localhost:8420/',
      network: [],
      readyMs: 1,
      setupCodePath: '/x',
    });
    assert.equal(text, 'Foyer is running at http://localhost:8420/ (ready in 1 ms)\n');
  });
});

describe('log format', () => {
  test('pretty on a terminal, JSON elsewhere, FOYER_LOG_FORMAT decides when set', () => {
    assert.equal(logFormat({}, true), 'pretty');
    assert.equal(logFormat({}, false), 'json');
    assert.equal(logFormat({}, undefined), 'json');
    assert.equal(logFormat({ FOYER_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(logFormat({ FOYER_LOG_FORMAT: 'pretty' }, false), 'pretty');
  });

  test('a pino record reads as one line; an error keeps its stack below', () => {
    const time = new Date(2026, 0, 2, 14, 2, 11).getTime();
    const warn = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: 'h',
      msg: 'reconcile failed',
      install: 'cal',
      retryInMs: 500,
    });
    assert.equal(prettyLine(warn), '14:02:11 WARN  reconcile failed install=cal retryInMs=500\n');
    const error = JSON.stringify({
      level: 50,
      time,
      msg: 'request failed',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    assert.equal(
      prettyLine(error),
      '14:02:11 ERROR request failed err=boom\n    Error: boom\n        at x\n',
    );
    assert.equal(prettyLine('not json'), 'not json\n');
  });
});
