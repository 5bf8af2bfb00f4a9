/**
 * The translated bodies work on a real engine: networks, volumes and a
 * container created from them exactly as `translateProject` made them, the
 * page served on the published loopback port, the labels `docker compose`
 * reads, the health check, and data kept in the named volume.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadProject, translateProject } from '../../compose/index.js';
import { engineCall } from '../support/engine-api.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const projectName = `translate${process.pid}`;
const port = 20000 + (process.pid % 20000);

const compose = `
services:
  web:
    image: ${BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo $$GREETING > /data/index.html && exec httpd -f -p 8080 -h /data"]
    environment:
      GREETING: hello from a translated body
    ports: ["127.0.0.1:${port}:8080"]
    volumes: [site:/data]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 10
    networks:
      front: { aliases: [www] }
      back:
volumes:
  site:
networks:
  front:
  back:
    internal: true
`;

after(async () => {
  await engine.docker(['rm', '-f', `${projectName}-web-1`]).catch(() => {});
  await engine
    .docker(['network', 'rm', `${projectName}_front`, `${projectName}_back`])
    .catch(() => {});
  await engine.docker(['volume', 'rm', `${projectName}_site`]).catch(() => {});
  await engine.docker(['rm', '-f', `${projectName}-lone`]).catch(() => {});
  await engine.docker(['volume', 'rm', `${projectName}_gone`]).catch(() => {});
});

test('a project created from translated bodies runs and serves its page', async () => {
  const { project } = loadProject({
    files: [{ path: '/srv/app/compose.yaml', content: compose }],
    projectName,
  });
  const bodies = translateProject(project, {
    labels: { 'foyer.managed': 'true', 'foyer.install': projectName },
    defaultRestart: 'unless-stopped',
  });
  const api = (method: string, path: string, body?: unknown) =>
    engineCall(engine.socketPath, method, path, body);
  for (const network of bodies.networks) await api('POST', '/networks/create', network);
  for (const volume of bodies.volumes) await api('POST', '/volumes/create', volume);
  const [web] = bodies.containers;
  assert.ok(web);
  await api('POST', `/containers/create?name=${web.name}`, web.body);
  for (const { network, body } of web.connect)
    await api('POST', `/networks/${network}/connect`, body);
  await api('POST', `/containers/${web.name}/start`);

  assert.equal(await fetchWithRetry(`http://127.0.0.1:${port}/`), 'hello from a translated body\n');

  const inspect = (await api('GET', `/containers/${web.name}/json`)) as {
    Config: { Labels: Record<string, string> };
    HostConfig: { RestartPolicy: { Name: string } };
    Mounts: { Name?: string; Destination: string }[];
    NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
    State: { Health?: { Status: string } };
  };
  assert.equal(inspect.Config.Labels['com.docker.compose.project'], projectName);
  assert.equal(inspect.Config.Labels['com.docker.compose.service'], 'web');
  assert.equal(inspect.Config.Labels['foyer.install'], projectName);
  assert.equal(inspect.HostConfig.RestartPolicy.Name, 'unless-stopped');
  assert.deepEqual(
    inspect.Mounts.map((m) => [m.Name, m.Destination]),
    [[`${projectName}_site`, '/data']],
  );
  assert.ok(inspect.NetworkSettings.Networks[`${projectName}_front`]?.Aliases?.includes('www'));
  assert.ok(inspect.NetworkSettings.Networks[`${projectName}_back`]?.Aliases?.includes('web'));

  let health = inspect.State.Health?.Status;
  for (let i = 0; i < 40 && health !== 'healthy'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    health = ((await api('GET', `/containers/${web.name}/json`)) as typeof inspect).State.Health
      ?.Status;
  }
  assert.equal(health, 'healthy');

  const volumes = await engine.docker([
    'volume',
    'ls',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${projectName}`,
  ]);
  assert.equal(volumes.stdout.trim(), `${projectName}_site`);
});

// A volume removed between its create and the container's (a person, a restore) is made again
// by the engine from the container's mount: with the owner's labels, not as nobody's volume a
// later plan would refuse to touch.
test('a container whose volume went missing makes it again with the project labels', async () => {
  const { project } = loadProject({
    files: [
      {
        path: '/srv/app/compose.yaml',
        content: `services:\n  lone:\n    image: ${BUSYBOX_IMAGE}\n    command: ["true"]\n    volumes: [gone:/data]\nvolumes:\n  gone:\n    labels: { com.example.keep: "yes" }\n`,
      },
    ],
    projectName,
  });
  const bodies = translateProject(project, {
    labels: { 'foyer.managed': 'true', 'foyer.install': projectName },
  });
  const [lone] = bodies.containers;
  assert.ok(lone);
  // No /volumes/create: the engine makes it while creating the container.
  await engineCall(
    engine.socketPath,
    'POST',
    `/containers/create?name=${projectName}-lone`,
    lone.body,
  );
  const made = (await engineCall(engine.socketPath, 'GET', `/volumes/${projectName}_gone`)) as {
    Labels: Record<string, string> | null;
  };
  assert.deepEqual(made.Labels, {
    'com.example.keep': 'yes',
    'com.docker.compose.project': projectName,
    'com.docker.compose.volume': 'gone',
    'foyer.managed': 'true',
    'foyer.install': projectName,
  });
});

async function fetchWithRetry(url: string): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.text();
      last = new Error(`HTTP ${res.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw last;
}
