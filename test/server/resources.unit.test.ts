/**
 * Issue 12 §4 without an engine: cgroup files read for v1 and v2 (fixture
 * folders laid out as /sys/fs/cgroup is), the hour's ring of one point a
 * minute, the sampling policy on a fake clock (never more than once a minute
 * unless someone watches), and admission by declared memory and disk through
 * the real install route (a refusal changes nothing; the override installs).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ContainerSummary, DockerAdapter } from '../../server/docker/adapter.js';
import { formatBytes } from '../../server/resources/bytes.js';
import {
  defaultContainerPath,
  dirsFromPath,
  dirsFromProcess,
  folderOf,
  parseMountInfo,
  readCgroup,
} from '../../server/resources/cgroups.js';
import { ResourceHistory } from '../../server/resources/history.js';
import { type Clock, ResourceMonitor } from '../../server/resources/monitor.js';
import { requirementProblems } from '../../server/resources/requirements.js';
import { jobRepository } from '../../server/store/jobs.js';
import { type RouteApp, startRouteApp } from '../support/route-app.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/cgroup');
const ID = '3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f';
/** Reads absolute paths inside a fixture folder, as if it were `/`. */
const fixtureFiles = (version: string) => (path: string) =>
  readFileSync(join(FIXTURES, version, path), 'utf8');

describe('cgroup files', () => {
  test('v1 (cgroupfs, cpu and cpuacct mounted together): memory less inactive file, cpuacct.usage', () => {
    const read = fixtureFiles('v1');
    const mounts = parseMountInfo(read('/proc/self/mountinfo'));
    const dirs = dirsFromPath(mounts, 1, defaultContainerPath('cgroupfs', ID));
    assert.deepEqual(dirs, {
      version: 1,
      memory: `/sys/fs/cgroup/memory/docker/${ID}`,
      cpu: `/sys/fs/cgroup/cpu,cpuacct/docker/${ID}`,
    });
    // 50 MiB charged, 10 MiB of it inactive page cache: 40 MiB, as `docker stats` says.
    assert.deepEqual(readCgroup(dirs!, read), {
      cpuNanos: 1_234_567_890,
      memoryBytes: 40 * 1024 * 1024,
    });
    // The same folders from the container's init process.
    assert.deepEqual(dirsFromProcess(mounts, 1, read('/proc/4242/cgroup')), dirs);
  });

  test('v2 (systemd driver): memory.current less inactive_file, cpu.stat usage_usec', () => {
    const read = fixtureFiles('v2');
    const mounts = parseMountInfo(read('/proc/self/mountinfo'));
    const path = defaultContainerPath('systemd', ID);
    assert.equal(path, `/system.slice/docker-${ID}.scope`);
    const dirs = dirsFromPath(mounts, 2, path);
    assert.equal(dirs?.memory, `/sys/fs/cgroup/system.slice/docker-${ID}.scope`);
    assert.equal(dirs?.cpu, dirs?.memory);
    assert.deepEqual(readCgroup(dirs!, read), {
      cpuNanos: 2_500_000_000,
      memoryBytes: 32 * 1024 * 1024,
    });
  });

  test('v2 with another parent: found from /proc/<pid>/cgroup', () => {
    const read = fixtureFiles('v2');
    const mounts = parseMountInfo(read('/proc/self/mountinfo'));
    const dirs = dirsFromProcess(mounts, 2, read('/proc/4242/cgroup'));
    assert.equal(dirs?.memory, `/sys/fs/cgroup/foyer.slice/inner/${ID}`);
    assert.equal(readCgroup(dirs!, read).memoryBytes, 32 * 1024 * 1024);
  });

  test('a cgroup outside the hierarchy our namespace mounts is not read', () => {
    const mount = {
      version: 2 as const,
      controllers: [],
      root: '/lxc/box',
      mountPoint: '/sys/fs/cgroup',
    };
    assert.equal(folderOf(mount, `/docker/${ID}`), undefined);
    assert.equal(folderOf(mount, `/lxc/box/docker/${ID}`), `/sys/fs/cgroup/docker/${ID}`);
  });
});

describe('the hour of history', () => {
  test('keeps one point a minute, sixty at most, and only the last hour', () => {
    const history = new ResourceHistory();
    const point = (at: number) => ({ at, cpuPercent: 1, memoryBytes: at });
    assert.equal(history.add(point(0)), true);
    assert.equal(history.add(point(5_000)), false, 'a sample 5 s later is not a history point');
    assert.equal(history.add(point(60_000)), true);
    for (let minute = 2; minute < 100; minute++) history.add(point(minute * 60_000));
    const kept = history.list(99 * 60_000);
    assert.equal(kept.length, 60);
    assert.equal(kept[0]?.at, 40 * 60_000);
    assert.equal(
      history.list(99 * 60_000 + 30 * 60_000).length,
      30,
      'older than an hour is dropped',
    );
  });
});

/** A clock whose timers run when the test moves time on. */
function fakeClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 1_000_000;
  let next = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => now,
    setTimeout: (run, ms) => {
      timers.set(next, { at: now + ms, run });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].run();
        // Let the pass's promises settle before the next timer.
        for (let i = 0; i < 20; i++) await Promise.resolve();
      }
      now = end;
    },
  };
}

describe('sampling policy', () => {
  const container: ContainerSummary = {
    id: ID,
    name: 'web-web-1',
    labels: { 'foyer.install': 'web', 'foyer.instance': 'me' },
    state: 'running',
    status: 'Up',
    imageId: 'sha256:img',
    created: 0,
  };
  function monitorWithCounts() {
    const clock = fakeClock();
    const reads: string[] = [];
    const calls: string[] = [];
    let cpuNanos = 0;
    const v2 = fixtureFiles('v2');
    const readFile = (path: string) => {
      reads.push(path);
      // Half a core busy between any two readings.
      if (path.endsWith('cpu.stat')) return `usage_usec ${Math.round(cpuNanos / 1000)}\n`;
      return v2(path);
    };
    const docker = {
      info: async () => {
        calls.push('info');
        return { cgroupDriver: 'systemd', cgroupVersion: '2', dockerRootDir: '/var/lib/docker' };
      },
      listContainers: async () => {
        calls.push('listContainers');
        return [container];
      },
      inspectContainer: async () => undefined,
      diskUsage: async () => {
        calls.push('diskUsage');
        return {
          volumes: [
            {
              name: 'web_www',
              labels: { 'foyer.install': 'web', 'foyer.instance': 'me' },
              size: 4096,
            },
            {
              name: 'other_www',
              labels: { 'foyer.install': 'other', 'foyer.instance': 'me' },
              size: 1,
            },
            {
              name: 'web_www2',
              labels: { 'foyer.install': 'web', 'foyer.instance': 'else' },
              size: 1,
            },
          ],
          images: [
            { id: 'sha256:img', size: 1_000_000 },
            { id: 'sha256:unused', size: 1 },
          ],
        };
      },
    } as unknown as DockerAdapter;
    const monitor = new ResourceMonitor({
      docker,
      instance: 'me',
      installs: () => ['web'],
      readFile,
      clock,
    });
    const samples = () => reads.filter((p) => p.endsWith('memory.current')).length;
    const tick = async (ms: number) => {
      cpuNanos += ms * 1e6 * 0.5;
      await clock.advance(ms);
    };
    return { monitor, clock, calls, samples, tick };
  }

  test('nobody watching: one sample a minute, and the container list is not asked again', async () => {
    const { monitor, calls, samples, tick } = monitorWithCounts();
    monitor.start();
    for (let i = 0; i < 36; i++) await tick(5_000); // three minutes
    monitor.stop();
    // Each sample reads memory.current once (finding the folder reads it once more, first).
    assert.equal(samples(), 3 + 1);
    assert.deepEqual(calls, ['listContainers', 'info'], 'no Docker call after the first sample');
    const usage = await monitor.usage('web');
    assert.equal(usage.history.length, 3);
    assert.equal(usage.history[1]?.cpuPercent, 50);
    assert.equal(usage.history[1]?.memoryBytes, 32 * 1024 * 1024);
  });

  test('while someone watches: every 5 s, then back to once a minute; history stays one a minute', async () => {
    const { monitor, samples, tick } = monitorWithCounts();
    monitor.start();
    const seen: number[] = [];
    const unwatch = monitor.watch('web', (p) => seen.push(p.at));
    for (let i = 0; i < 24; i++) await tick(5_000); // two minutes
    assert.ok(seen.length >= 24, `a sample each 5 s while watched: ${seen.length}`);
    unwatch();
    const before = samples();
    for (let i = 0; i < 36; i++) await tick(5_000); // three minutes more
    assert.ok(
      samples() - before <= 4,
      `at most one a minute once nobody watches: ${samples() - before}`,
    );
    const { history } = await monitor.usage('web');
    for (let i = 1; i < history.length; i++) {
      assert.ok(history[i]!.at - history[i - 1]!.at >= 60_000, 'history points a minute apart');
    }
    monitor.stop();
  });

  test('a GET samples at most once per 5 s; disk counts own volumes and images, /system/df once a minute', async () => {
    const { monitor, calls, samples, tick } = monitorWithCounts();
    await monitor.usage('web');
    await monitor.usage('web');
    const after = samples();
    await tick(1_000);
    await monitor.usage('web');
    assert.equal(samples(), after, 'a second GET within 5 s reuses the sample');
    assert.deepEqual(await monitor.disk('web'), { volumes: 4096, images: 1_000_000 });
    await monitor.disk('web');
    await tick(30_000);
    await monitor.disk('web');
    assert.equal(calls.filter((c) => c === 'diskUsage').length, 1);
    await tick(30_000);
    await monitor.disk('web');
    assert.equal(calls.filter((c) => c === 'diskUsage').length, 2);
  });

  test('a reconciler change makes the next sample list the containers again', async () => {
    const { monitor, calls } = monitorWithCounts();
    await monitor.usage('web');
    monitor.invalidate();
    await monitor.disk('web');
    assert.equal(calls.filter((c) => c === 'listContainers').length, 2);
  });
});

describe('admission by declared memory and disk', () => {
  const free = {
    memory: 300 * 1024 * 1024,
    disk: { path: '/var/lib/docker', free: 2 ** 30, total: 2 ** 31 },
  };

  test('what does not fit is a path-qualified problem with both figures', () => {
    assert.deepEqual(requirementProblems({ memory: '512m', disk: '1g' }, free), [
      { path: 'requirements.memory', message: 'the app needs 512 MiB, 300 MiB of memory are free' },
    ]);
    assert.deepEqual(requirementProblems({ memory: '256m', disk: '2g' }, free), [
      {
        path: 'requirements.disk',
        message: 'the app needs 2 GiB, 1 GiB are free on /var/lib/docker',
      },
    ]);
    assert.deepEqual(requirementProblems({}, free), []);
    assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
  });

  describe('through the install route', () => {
    let box: RouteApp;
    let admin: Record<string, string>;
    before(async () => {
      box = await startRouteApp();
      admin = box.browser(await box.login('admin', 'correct horse battery'));
    });
    after(() => box.close());
    const post = (payload: object) =>
      box.inject({ method: 'POST', url: '/api/installs', headers: admin, payload });
    const world = () => ({
      installs: box.store.installs.list().map((i) => i.id),
      jobs: jobRepository(box.store.db).list({}).length,
      audit: (box.app.foyer.audit.list({ limit: 1000 }) as unknown[]).length,
      asked: [...box.reconciler.asked],
      writes: box.engineWrites(),
    });

    test('an app needing more than is free is refused (409) and changes nothing', async () => {
      const before = world();
      const refused = await post({ app: 'hungry' });
      assert.equal(refused.statusCode, 409, refused.body);
      const body = refused.json();
      assert.equal(body.code, 'FOYER_INSUFFICIENT_RESOURCES');
      assert.deepEqual(
        body.problems.map((p: { path: string }) => p.path),
        ['requirements.memory', 'requirements.disk'],
      );
      assert.match(
        body.message,
        /requirements\.memory: the app needs 4 TiB, .* of memory are free/,
      );
      assert.deepEqual(world(), before);
    });

    test('with allowInsufficientResources it is installed, and the audit says so', async () => {
      const accepted = await post({ app: 'hungry', allowInsufficientResources: true });
      assert.equal(accepted.statusCode, 202, accepted.body);
      assert.ok(box.store.installs.get('hungry'));
      const entry = (
        box.app.foyer.audit.list({ limit: 10 }) as { action: string; detail?: unknown }[]
      ).find((e) => e.action === 'install.install');
      assert.match(JSON.stringify(entry), /allowInsufficientResources/);
    });

    test('the resources route is for admins only', async () => {
      const member = box.browser(await box.login('mia', 'member password 1'));
      const answer = await box.inject({
        method: 'GET',
        url: '/api/installs/hungry/resources',
        headers: member,
      });
      assert.equal(answer.statusCode, 403);
    });
  });
});
