// Proves the Docker test harness: a private engine whose published ports reach the host, and
// the two local images (BusyBox, debian:bookworm-slim) built and runnable.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { hostDebianMirrors } from './support/apt-sources.js';
import { BUSYBOX_IMAGE, DEBIAN_IMAGE, useTestEngine } from './support/index.js';

const engine = await useTestEngine();
const containers: string[] = [];

after(async () => {
  if (containers.length > 0) await engine.docker(['rm', '-f', ...containers]);
});

test('a BusyBox container serves a page on a port published on 127.0.0.1', async () => {
  const page = 'hello from foyer-test';
  const script = `mkdir -p /www && echo '${page}' > /www/index.html && exec httpd -f -p 8080 -h /www`;
  const { stdout } = await engine.docker([
    ...['run', '-d', '-p', '127.0.0.1::8080', BUSYBOX_IMAGE],
    ...['sh', '-c', script],
  ]);
  const id = stdout.trim();
  containers.push(id);
  const port = await engine.docker(['port', id, '8080/tcp']);
  const address = port.stdout.split('\n')[0]!.trim();
  assert.match(address, /^127\.0\.0\.1:\d+$/);
  assert.equal(await fetchText(`http://${address}/`), `${page}\n`);
});

test('debian:bookworm-slim exists and is Debian 12', async () => {
  const inspect = await engine.docker(['image', 'inspect', '--format', '{{.Os}}', DEBIAN_IMAGE]);
  assert.equal(inspect.stdout.trim(), 'linux');
  const { stdout } = await engine.docker([
    'run',
    '--rm',
    DEBIAN_IMAGE,
    'cat',
    '/etc/debian_version',
  ]);
  assert.match(stdout.trim(), /^12\.\d+$/);
});

test('the BusyBox image has a shell at /bin/sh', async () => {
  const { stdout } = await engine.docker([
    'run',
    '--rm',
    BUSYBOX_IMAGE,
    '/bin/sh',
    '-c',
    'echo $0',
  ]);
  assert.equal(stdout.trim(), '/bin/sh');
});

test('containers reach the Debian mirror through the private bridge', async () => {
  const { debian } = await hostDebianMirrors();
  // Busybox's wget, without -T: Debian's static build crashes when given a timeout.
  const url = `${debian}/dists/bookworm/Release`;
  const { stdout } = await engine.docker([
    'run',
    '--rm',
    BUSYBOX_IMAGE,
    'wget',
    '-q',
    '-O',
    '-',
    url,
  ]);
  assert.match(stdout, /^Codename: bookworm$/m);
});

// The server may take a moment to listen after the container starts.
async function fetchText(url: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.text();
      lastError = new Error(`HTTP ${res.status}`);
    } catch (e) {
      lastError = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw lastError;
}
