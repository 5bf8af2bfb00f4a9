// Issue 15, Debian's updates for built images and automatic updates in a window: the pure
// parts. apt's simulated plan as bookworm's apt 2.6 prints it, what an install is offered from
// its checks, the shared daily window, and when an automatic update is due.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentWindow, DEFAULT_SCHEDULE } from '../../server/backup/schedule.js';
import { parseTimeRange, windowStart } from '../../server/schedule/window.js';
import {
  autoUpdateDue,
  autoUpdateProblems,
  DEFAULT_AUTO_UPDATE,
  inWindow,
  pendingOffer,
} from '../../server/updates/auto-policy.js';
import {
  checkDue,
  describeOffer,
  type ImageCheck,
  offeredPackages,
  offerKey,
  parseSimulatedUpgrade,
} from '../../server/updates/debian-packages.js';

// Lines from `apt-get -s dist-upgrade` on a bookworm box (one with a broken-deps marker `[]`,
// one new dependency without an installed version, which is not an update of the image).
const APT_OUTPUT = `Reading package lists...
Building dependency tree...
Reading state information...
Calculating upgrade...
The following NEW packages will be installed:
  libfoo2
The following packages will be upgraded:
  base-files bash libgcrypt20 openssl
4 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst bash [5.2.15-2+b8] (5.2.15-2+b13 Debian:12.15/oldstable [amd64])
Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst libfoo2 (2.0-1 Debian:12.15/oldstable [amd64])
Inst openssl [3.0.11-1~deb12u2] (3.0.17-1~deb12u3 Debian-Security:12/stable-security [arm64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Conf bash (5.2.15-2+b13 Debian:12.15/oldstable [amd64])
`;

const check = (service: string, imageId: string, names: string[], at = '2026-01-10T03:00:00Z') =>
  ({
    service,
    imageId,
    checkedAt: at,
    packages: names.map((name) => ({ name, from: '1', to: '2', security: name === 'openssl' })),
    error: null,
  }) satisfies ImageCheck;

describe("apt's simulated upgrade", () => {
  test('each installed package with a newer candidate, security ones marked', () => {
    assert.deepEqual(parseSimulatedUpgrade(APT_OUTPUT), [
      { name: 'base-files', from: '12.4+deb12u11', to: '12.4+deb12u15', security: false },
      { name: 'bash', from: '5.2.15-2+b8', to: '5.2.15-2+b13', security: false },
      { name: 'libgcrypt20', from: '1.10.1-3', to: '1.10.1-3+deb12u1', security: true },
      { name: 'openssl', from: '3.0.11-1~deb12u2', to: '3.0.17-1~deb12u3', security: true },
    ]);
  });

  test('nothing to upgrade, or not apt at all, is no update', () => {
    assert.deepEqual(parseSimulatedUpgrade('0 upgraded, 0 newly installed.\n'), []);
    assert.deepEqual(parseSimulatedUpgrade('sh: apt-get: not found\n'), []);
  });

  test('the offer as people read it puts security first and stops at a limit', () => {
    const packages = parseSimulatedUpgrade(APT_OUTPUT);
    assert.equal(
      describeOffer(packages, 2),
      'security updates from Debian: libgcrypt20 1.10.1-3 → 1.10.1-3+deb12u1, ' +
        'openssl 3.0.11-1~deb12u2 → 3.0.17-1~deb12u3, and 2 more',
    );
    assert.equal(describeOffer([]), 'no updates from Debian');
    assert.equal(
      offerKey(packages.slice(0, 2)),
      'debian:base-files=12.4+deb12u15,bash=5.2.15-2+b13',
    );
  });
});

describe('what an install is offered', () => {
  const checks = [check('web', 'sha256:a', ['openssl', 'bash']), check('db', 'sha256:b', ['bash'])];

  test('packages of the images the services run now, once each', () => {
    const names = (running?: Record<string, string>, since?: string) =>
      offeredPackages(checks, { running, since }).map((p) => p.name);
    assert.deepEqual(names({ web: 'sha256:a', db: 'sha256:b' }), ['bash', 'openssl']);
    assert.deepEqual(names({ web: 'sha256:new', db: 'sha256:b' }), ['bash'], 'web was rebuilt');
    assert.deepEqual(names(undefined, '2026-01-10T04:00:00Z'), [], 'checked before an update');
    assert.deepEqual(names(undefined, '2026-01-09T04:00:00Z'), ['bash', 'openssl']);
  });

  test('a check is due for an image never checked, or checked a day ago', () => {
    const day = 86_400_000;
    const now = new Date('2026-01-10T12:00:00Z');
    assert.equal(checkDue(now, { web: 'sha256:a', db: 'sha256:b' }, checks, day), false);
    assert.equal(checkDue(now, { web: 'sha256:c' }, checks, day), true, 'rebuilt image');
    assert.equal(
      checkDue(new Date('2026-01-11T03:00:00Z'), { web: 'sha256:a' }, checks, day),
      true,
    );
    assert.equal(checkDue(now, {}, [], day), false, 'nothing built here');
  });
});

describe('daily windows', () => {
  const at = (h: number, m = 0, day = 10) => new Date(2026, 0, day, h, m);

  test('HH:MM-HH:MM ranges, past midnight too; malformed or empty ones refused', () => {
    assert.deepEqual(parseTimeRange('03:00-05:30'), { start: '03:00', lengthMs: 150 * 60_000 });
    assert.deepEqual(parseTimeRange('23:00-01:00'), { start: '23:00', lengthMs: 2 * 3_600_000 });
    for (const bad of ['3:00-5:00', '03:00-03:00', '24:00-01:00', '03:00', '03:00-05:00;x'])
      assert.equal(parseTimeRange(bad), undefined, bad);
  });

  test('one window logic for backups and updates', () => {
    assert.deepEqual(windowStart(at(0, 30, 11), '23:00', 2 * 3_600_000), at(23, 0, 10));
    assert.equal(windowStart(at(1, 0, 11), '23:00', 2 * 3_600_000), undefined, 'the end is out');
    assert.deepEqual(currentWindow(at(3, 0), DEFAULT_SCHEDULE), at(2, 0));
  });
});

describe('automatic updates', () => {
  const at = (h: number, m = 0) => new Date(2026, 0, 10, h, m);
  const on = { enabled: true, window: '03:00-05:00' };
  const due = (over: Partial<Parameters<typeof autoUpdateDue>[0]>) =>
    autoUpdateDue({
      now: at(3, 30),
      setting: on,
      offer: 'catalog:abc',
      lastAttempt: null,
      busy: false,
      ...over,
    });

  test('off by default, in a window a person can read', () => {
    assert.equal(DEFAULT_AUTO_UPDATE.enabled, false);
    assert.deepEqual(autoUpdateProblems(DEFAULT_AUTO_UPDATE), []);
    assert.equal(autoUpdateProblems({ enabled: true, window: '3am' })[0]?.path, 'window');
  });

  test('due inside the window for an offer not tried yet, with nothing running', () => {
    assert.equal(due({}), true);
    assert.equal(due({ setting: { ...on, enabled: false } }), false, 'off');
    assert.equal(due({ now: at(5, 0) }), false, 'window over');
    assert.equal(due({ now: at(2, 59) }), false, 'not yet');
    assert.equal(due({ offer: undefined }), false, 'nothing offered');
    assert.equal(due({ busy: true }), false, 'a job runs');
    assert.equal(due({ lastAttempt: 'catalog:abc' }), false, 'tried: rolled back, not again');
    assert.equal(due({ lastAttempt: 'catalog:old' }), true, 'a newer offer');
    assert.equal(inWindow(at(4, 0), { ...on, window: 'bad' }), false);
  });

  test("the catalogue's offer comes before Debian's packages", () => {
    const debian = [{ name: 'openssl', from: '1', to: '2', security: true }];
    assert.equal(pendingOffer({ catalogDefinition: 'abc', debian }), 'catalog:abc');
    assert.equal(pendingOffer({ debian }), 'debian:openssl=2');
    assert.equal(pendingOffer({ debian: [] }), undefined);
  });
});
