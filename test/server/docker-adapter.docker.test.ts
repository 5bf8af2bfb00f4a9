// The Docker adapter against a real engine (Debian's docker.io 20.10, API 1.41): idempotence
// where the reconciler relies on it, the engine's answers in the adapter's shapes, images
// built and pulled, files copied in, events followed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { apiAtLeast } from '../../compose/index.js';
import {
  ConflictError,
  type ContainerSummary,
  type DockerAdapter,
  EngineError,
  type EngineEvent,
  EngineUnreachableError,
  type ImageProgress,
} from '../../server/docker/adapter.js';
import { countingAdapter } from '../../server/docker/counting-adapter.js';
import { jsonLines } from '../../server/docker/docker-streams.js';
import { connectDocker } from '../../server/docker/dockerode-adapter.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const docker: DockerAdapter = await connectDocker(engine.host);

// Unique per run, so that a failed run's leftovers never meet the next run's objects.
const run = `fa${process.pid.toString(36)}${Date.now().toString(36)}`;
const RUN_LABEL = `foyer.test.run=${run}`;
const labels = { 'foyer.test.run': run };
const name = (what: string) => `${run}-${what}`;
const images: string[] = [];

after(async () => {
  const cli = engine.docker;
  const list = async (args: string[]) =>
    (await cli(args)).stdout.split('\n').filter((line) => line.trim() !== '');
  const containers = await list(['ps', '-aq', '--filter', `label=${RUN_LABEL}`]);
  if (containers.length > 0) await cli(['rm', '-f', '-v', ...containers]);
  const networks = await list(['network', 'ls', '-q', '--filter', `label=${RUN_LABEL}`]);
  if (networks.length > 0) await cli(['network', 'rm', ...networks]);
  const volumes = await list(['volume', 'ls', '-q', '--filter', `label=${RUN_LABEL}`]);
  if (volumes.length > 0) await cli(['volume', 'rm', ...volumes]);
  for (const image of images) await cli(['rmi', '-f', image]).catch(() => {});
});

function sleeper(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '300'], Labels: labels, ...extra };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('version reports the engine and an API of at least 1.41', async () => {
  const { version, apiVersion } = await docker.version();
  assert.match(version, /^\d+\.\d+/);
  assert.match(apiVersion, /^1\.\d+$/);
  assert.ok(apiAtLeast(apiVersion, '1.41'), apiVersion);
});

test('an unreachable socket gives EngineUnreachableError', async () => {
  const nowhere = await connectDocker(`unix://${join(tmpdir(), `${run}-missing.sock`)}`);
  await assert.rejects(nowhere.version(), EngineUnreachableError);
  await assert.rejects(nowhere.listContainers([]), EngineUnreachableError);
});

describe('containers', () => {
  test('create, start, stop and remove are idempotent; a taken name is a ConflictError', async () => {
    const counted = countingAdapter(docker);
    const adapter = counted.adapter;
    const id = await adapter.createContainer(name('life'), sleeper());
    await assert.rejects(adapter.createContainer(name('life'), sleeper()), ConflictError);

    await adapter.startContainer(name('life'));
    await adapter.startContainer(id);
    const running = await adapter.inspectContainer(name('life'));
    assert.equal(running?.id, id);
    assert.equal(running?.name, name('life'));
    assert.equal(running?.state.status, 'running');
    assert.equal(running?.labels['foyer.test.run'], run);
    await adapter.restartContainer(id, 0);
    const restarted = await adapter.inspectContainer(id);
    assert.equal(restarted?.state.running, true);
    assert.notEqual(restarted?.state.startedAt, running?.state.startedAt);

    await adapter.stopContainer(id, 0);
    await adapter.stopContainer(id, 0);
    assert.equal((await adapter.inspectContainer(id))?.state.running, false);

    await adapter.removeContainer(id);
    await adapter.removeContainer(id);
    await adapter.stopContainer(id, 0);
    assert.equal(await adapter.inspectContainer(id), undefined);
    await assert.rejects(
      adapter.startContainer(id),
      (e) => e instanceof EngineError && e.statusCode === 404,
    );
    assert.equal(counted.counts.startContainer, 3);
    assert.equal(counted.counts.inspectContainer, 4);
    assert.equal(counted.mutating(), 11);
    counted.reset();
    assert.equal(counted.mutating(), 0);
  });

  test('rename to a taken name is a ConflictError; remove with force takes a running one', async () => {
    await docker.createContainer(name('rename-a'), sleeper());
    await docker.createContainer(name('rename-b'), sleeper());
    await assert.rejects(docker.renameContainer(name('rename-a'), name('rename-b')), ConflictError);
    await docker.renameContainer(name('rename-a'), name('rename-c'));
    assert.equal((await docker.inspectContainer(name('rename-c')))?.name, name('rename-c'));
    await docker.startContainer(name('rename-c'));
    await assert.rejects(docker.removeContainer(name('rename-c')), EngineError);
    await docker.removeContainer(name('rename-c'), true);
    assert.equal(await docker.inspectContainer(name('rename-c')), undefined);
  });

  test('listContainers sees only the labelled containers and parses their health', async () => {
    const page = `mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www`;
    // Busybox's wget, without -T: Debian's static build crashes when given a timeout.
    const check = (test: string, interval: number) => ({
      Healthcheck: { Test: ['CMD-SHELL', test], Interval: interval, Timeout: 5e9, Retries: 1 },
    });
    const probe = 'wget -q -O- http://127.0.0.1:8080/';
    const web = { Cmd: ['sh', '-c', page] };
    const own = { ...labels, 'foyer.test.health': run };
    const specs: [string, Record<string, unknown>][] = [
      ['healthy', sleeper({ ...web, ...check(probe, 5e8), Labels: own })],
      ['unhealthy', sleeper({ ...web, ...check('exit 1', 5e8), Labels: own })],
      // The first probe waits a whole interval: an hour keeps it starting.
      ['starting', sleeper({ ...web, ...check(probe, 3600e9), Labels: own })],
      ['unchecked', sleeper({ Labels: own })],
      ['other', sleeper()],
    ];
    for (const [what, body] of specs) {
      await docker.createContainer(name(`health-${what}`), body);
      await docker.startContainer(name(`health-${what}`));
    }
    const settled = await until('health checks to settle', async () => {
      const rows = await docker.listContainers([`foyer.test.health=${run}`, RUN_LABEL]);
      const byName = new Map(rows.map((r) => [r.name, r]));
      const health = (what: string) => byName.get(name(`health-${what}`))?.health;
      return health('healthy') === 'healthy' && health('unhealthy') === 'unhealthy'
        ? rows
        : undefined;
    });
    const row = (what: string) => settled.find((r) => r.name === name(`health-${what}`));
    assert.deepEqual(settled.map((r) => r.name).sort(), [
      name('health-healthy'),
      name('health-starting'),
      name('health-unchecked'),
      name('health-unhealthy'),
    ]);
    assert.equal(row('starting')?.health, 'starting');
    assert.equal(row('unchecked')?.health, undefined);
    const healthy = row('healthy') as ContainerSummary;
    assert.equal(healthy.state, 'running');
    assert.match(healthy.status, /^Up .*\(healthy\)$/);
    assert.equal(healthy.labels['foyer.test.run'], run);
    assert.match(healthy.imageId, /^sha256:/);
    const details = await docker.inspectContainer(healthy.id);
    assert.equal(details?.state.health?.status, 'healthy');
    assert.equal(details?.state.health?.lastOutput, 'ok\n');
    const failing = await docker.inspectContainer(name('health-unhealthy'));
    assert.ok((failing?.state.health?.failingStreak ?? 0) >= 1);
  });

  test('putFiles puts files with their mode and owner, and leaves existing folders alone', async () => {
    const id = await docker.createContainer(name('files'), sleeper());
    await docker.putFiles(id, [
      {
        path: '/etc/foyer-test/app.conf',
        content: 'key = value\n',
        mode: 0o640,
        uid: '1000',
        gid: '1001',
      },
      { path: '/tmp/named-owner', content: 'x', mode: 0o600, uid: 'nobody', gid: 'nogroup' },
      { path: 'srv/a/b/c.txt', content: 'deep\n', mode: 0o644 },
    ]);
    await docker.startContainer(id);
    const exec = async (...args: string[]) => (await engine.docker(['exec', id, ...args])).stdout;
    assert.equal(await exec('cat', '/etc/foyer-test/app.conf'), 'key = value\n');
    const stat = (path: string) => exec('stat', '-c', '%a %u %g', path).then((s) => s.trim());
    assert.equal(await stat('/etc/foyer-test/app.conf'), '640 1000 1001');
    assert.equal(await stat('/tmp/named-owner'), '600 0 0');
    assert.equal(await exec('cat', '/srv/a/b/c.txt'), 'deep\n');
    // Missing parents are made by the engine; existing ones keep their mode and owner.
    assert.equal(await stat('/srv/a/b'), '755 0 0');
    assert.equal(await stat('/tmp'), '1777 0 0');
    assert.equal(await stat('/etc'), '755 0 0');
  });
});

describe('networks and volumes', () => {
  test('a second network of the same name is a ConflictError; removing a missing one succeeds', async () => {
    const net = name('net');
    await docker.createNetwork({ Name: net, Driver: 'bridge', Labels: labels });
    await assert.rejects(
      docker.createNetwork({ Name: net, Driver: 'bridge', Labels: labels }),
      ConflictError,
    );
    const listed = await docker.listNetworks([RUN_LABEL]);
    assert.deepEqual(
      listed.map((n) => n.name),
      [net],
    );
    assert.equal(listed[0]?.labels['foyer.test.run'], run);
    await docker.removeNetwork(net);
    await docker.removeNetwork(net);
    assert.deepEqual(await docker.listNetworks([RUN_LABEL]), []);
  });

  test('connecting a container twice succeeds, stopped or running', async () => {
    const net = name('join');
    await docker.createNetwork({ Name: net, Labels: labels });
    const id = await docker.createContainer(name('joiner'), sleeper());
    const body = { Container: id, EndpointConfig: { Aliases: ['joiner'] } };
    await docker.connectNetwork(net, body);
    await docker.connectNetwork(net, body);
    await docker.startContainer(id);
    await docker.connectNetwork(net, body);
    const { stdout } = await engine.docker([
      'inspect',
      '-f',
      '{{json .NetworkSettings.Networks}}',
      id,
    ]);
    assert.ok(net in (JSON.parse(stdout) as Record<string, unknown>));
  });

  test('creating a volume twice succeeds; removing a missing one succeeds', async () => {
    const volume = name('data');
    await docker.createVolume({ Name: volume, Labels: labels });
    await docker.createVolume({ Name: volume, Labels: labels });
    assert.deepEqual(await docker.listVolumes([RUN_LABEL]), [{ name: volume, labels }]);
    await docker.removeVolume(volume);
    await docker.removeVolume(volume);
    assert.deepEqual(await docker.listVolumes([RUN_LABEL]), []);
  });
});

describe('images', () => {
  async function context(dockerfile: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'foyer-build-'));
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    await writeFile(join(dir, 'payload.txt'), 'from the context\n');
    return dir;
  }

  test('buildImage builds from a folder, reports its output lines, and labels the image', async () => {
    const tag = `foyer-test-build/${run}:ok`;
    images.push(tag);
    const dir = await context(
      `FROM ${BUSYBOX_IMAGE}\nARG GREETING\nRUN echo built > /built && echo "$GREETING"\nCOPY payload.txt /\n`,
    );
    const progress: ImageProgress[] = [];
    try {
      await docker.buildImage(
        { context: dir, dockerfile: 'Dockerfile', tag, args: { GREETING: 'hi there' }, labels },
        (p) => progress.push(p),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const lines = progress.map((p) => (p.kind === 'build' ? p.line : `pull: ${p.status}`));
    assert.ok(lines.includes(`Step 1/5 : FROM ${BUSYBOX_IMAGE}`), lines.join('\n'));
    assert.ok(lines.includes('hi there'), lines.join('\n'));
    assert.ok(lines.every((line) => !line.includes('\n')));
    const image = await docker.inspectImage(tag);
    assert.deepEqual(image?.tags, [tag]);
    assert.equal(image?.labels['foyer.test.run'], run);
    assert.ok((await docker.listImages()).some((i) => i.id === image?.id));
    const { stdout } = await engine.docker(['run', '--rm', tag, 'cat', '/built', '/payload.txt']);
    assert.equal(stdout, 'built\nfrom the context\n');
  });

  test('a failing build rejects with the failing step and the last lines of output', async () => {
    const tag = `foyer-test-build/${run}:broken`;
    images.push(tag);
    const dir = await context(`FROM ${BUSYBOX_IMAGE}\nRUN echo about to fail && exit 3\n`);
    const containers = async () => (await engine.docker(['ps', '-aq', '--no-trunc'])).stdout;
    const before = await containers();
    try {
      await assert.rejects(
        docker.buildImage(
          { context: dir, dockerfile: 'Dockerfile', tag, args: {}, labels },
          () => {},
        ),
        (e) => {
          assert.ok(e instanceof EngineError);
          assert.match(e.message, /returned a non-zero code: 3/);
          assert.match(e.message, /about to fail/);
          return true;
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(await docker.inspectImage(tag), undefined);
    // forcerm: the failed step's container is removed too.
    assert.equal(await containers(), before);
  });

  test('a build context that cannot be read is reported as such, not as an engine failure', async () => {
    const missing = join(tmpdir(), `${run}-no-context`);
    const options = {
      context: missing,
      dockerfile: 'Dockerfile',
      tag: `${run}:x`,
      args: {},
      labels,
    };
    await assert.rejects(
      docker.buildImage(options, () => {}),
      (e) => {
        assert.ok(!(e instanceof EngineUnreachableError), String(e));
        assert.match((e as Error).message, /cannot read the build context .*no-context.*ENOENT/);
        return true;
      },
    );
  });

  test('pulling from an unreachable registry rejects with the engine message', async () => {
    const ref = `127.0.0.1:9/foyer-test/${run}:latest`;
    await assert.rejects(
      docker.pullImage(ref, () => {}),
      (e) => {
        assert.ok(e instanceof EngineError, String(e));
        assert.match(e.message, /127\.0\.0\.1:9/);
        return true;
      },
    );
    assert.equal(await docker.inspectImage(ref), undefined);
  });
});

describe('events', () => {
  test('a subscription filtered by label sees create, start and die with the labels', async () => {
    const label = `foyer.test.events=${run}`;
    const seen: EngineEvent[] = [];
    const ends: (Error | undefined)[] = [];
    const subscription = docker.events(
      { filters: { label: [label], type: ['container'] } },
      (e) => seen.push(e),
      (e) => ends.push(e),
    );
    // The engine starts sending from the moment it has the request: give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = await docker.createContainer(name('events-other'), sleeper());
    const id = await docker.createContainer(
      name('events'),
      sleeper({ Labels: { ...labels, 'foyer.test.events': run } }),
    );
    await docker.startContainer(id);
    await engine.docker(['kill', id]);
    const actions = () => seen.filter((e) => e.id === id).map((e) => e.action);
    await until('create, start and die', async () =>
      ['create', 'start', 'die'].every((a) => actions().includes(a)) ? true : undefined,
    );
    subscription.close();
    assert.ok(seen.every((e) => e.id !== other && e.type === 'container'));
    const die = seen.find((e) => e.action === 'die');
    assert.equal(die?.attributes['foyer.test.events'], run);
    assert.equal(die?.attributes.name, name('events'));
    assert.equal(die?.attributes.exitCode, '137');
    const create = seen.find((e) => e.action === 'create')!;
    assert.ok(create.timeNano > Date.parse('2020-01-01') * 1e6);

    // Reconnecting with `since` replays from that instant (the engine keeps the last 256).
    const replayed: EngineEvent[] = [];
    const again = docker.events(
      { since: create.timeNano, filters: { label: [label] } },
      (e) => replayed.push(e),
      (e) => ends.push(e),
    );
    await until('replayed events', async () =>
      replayed.some((e) => e.action === 'die') ? true : undefined,
    );
    again.close();
    assert.deepEqual(
      replayed.map((e) => e.action).filter((a) => a !== 'kill' && a !== 'attach'),
      ['create', 'start', 'die'],
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(ends, [], 'close() does not end with an error');
  });

  test('a subscription to an unreachable engine ends once with EngineUnreachableError', async () => {
    const nowhere = await connectDocker(`unix://${join(tmpdir(), `${run}-missing.sock`)}`);
    const ends: (Error | undefined)[] = [];
    nowhere.events(
      { filters: {} },
      () => {},
      (e) => ends.push(e),
    );
    await until('the end', async () => (ends.length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(ends.length, 1);
    assert.ok(ends[0] instanceof EngineUnreachableError);
  });

  test('the event parser joins lines split across chunks, even inside a UTF-8 character', () => {
    const values: unknown[] = [];
    const parser = jsonLines((v) => values.push(v));
    const text = Buffer.from('{"a":"é"}\n\n{"b":2}\nnot json\n{"c":3}');
    const cut = text.indexOf(0xa9); // the second byte of "é"
    parser.write(text.subarray(0, cut));
    parser.write(text.subarray(cut, cut + 9));
    parser.write(text.subarray(cut + 9));
    parser.end();
    assert.deepEqual(values, [{ a: 'é' }, { b: 2 }, { c: 3 }]);
  });
});
