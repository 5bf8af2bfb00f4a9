/**
 * The home screen's link to an app's web entry: the published host port of
 * the app's web service, on the host name the page was reached by, and no
 * link when the port is bound to loopback and the page is not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Install } from '../../ui/src/lib/types.ts';
import { webEntry } from '../../ui/src/lib/web.ts';

const page = (hostname: string) => ({ hostname }) as Location;

function install(ports: { container: number; host: number; ip: string }[]): Install {
  return {
    id: 'web',
    app: 'web',
    version: '1.0',
    catalog: 'listed',
    settings: {},
    acceptedPermissions: [],
    lastVerifiedRestore: null,
    desired: 'running',
    web: { service: 'web', port: 8080 },
    status: {
      state: 'running',
      services: [
        {
          name: 'web',
          state: 'running',
          restarts: 0,
          healthRestarts: 0,
          ports: ports.map((p) => ({ ...p, protocol: 'tcp' })),
        },
      ],
    },
    createdAt: '',
    updatedAt: '',
  };
}

test('links the published port on the page’s own host name', () => {
  const both = install([
    { container: 8080, host: 8090, ip: '0.0.0.0' },
    { container: 8080, host: 8090, ip: '::' },
  ]);
  assert.deepEqual(webEntry(both, page('foyer.local')), { url: 'http://foyer.local:8090/' });
  assert.deepEqual(webEntry(both, page('[fd00::2]')), { url: 'http://[fd00::2]:8090/' });
});

test('a loopback-only port is linked only from the server itself', () => {
  const local = install([{ container: 8080, host: 41000, ip: '127.0.0.1' }]);
  assert.deepEqual(webEntry(local, page('127.0.0.1')), { url: 'http://127.0.0.1:41000/' });
  assert.deepEqual(webEntry(local, page('192.168.1.20')), { localOnly: true });
});

test('a port bound to one address is linked on that address', () => {
  const bound = install([{ container: 8080, host: 80, ip: '192.168.1.20' }]);
  assert.deepEqual(webEntry(bound, page('foyer.local')), { url: 'http://192.168.1.20:80/' });
});

test('no link without a web entry or before the port is published', () => {
  assert.equal(webEntry({ ...install([]), web: null }, page('x')), undefined);
  assert.equal(webEntry(install([]), page('x')), undefined);
  assert.equal(
    webEntry(install([{ container: 9999, host: 1, ip: '0.0.0.0' }]), page('x')),
    undefined,
  );
});

test('an install with a name at the edge opens its HTTPS address, published port or not', () => {
  const named = { ...install([]), url: 'https://web.home.example/' };
  assert.deepEqual(webEntry(named, page('192.168.1.20')), { url: 'https://web.home.example/' });
  const both = {
    ...install([{ container: 8080, host: 8090, ip: '0.0.0.0' }]),
    url: 'https://web.home.example/',
  };
  assert.deepEqual(webEntry(both, page('foyer.local')), { url: 'https://web.home.example/' });
  assert.deepEqual(webEntry({ ...both, url: undefined }, page('foyer.local')), {
    url: 'http://foyer.local:8090/',
  });
});
