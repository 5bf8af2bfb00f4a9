/**
 * `npm run bench:catalog`: the figures the catalogue's docs quote for each app
 * of Foyer's own catalogue that is built on the box.
 *
 * - build, first: `docker build --no-cache` of each Dockerfile of the app on the
 *   local debian:bookworm-slim (packages come from the Debian mirror, so this
 *   includes the download);
 * - build, cached: the same build again with the engine's build cache;
 * - image size: the built images' sizes as the engine reports them (the
 *   debian:bookworm-slim base counted once, separately);
 * - idle memory: the app installed through a real daemon with valid settings,
 *   running and healthy, then left alone for BENCH_IDLE_S seconds (default 30);
 *   resident memory (anon + mapped files) of each container read from its
 *   cgroup (test/support/cgroup-memory.ts), not from the stats API: the least
 *   of five readings a second apart, so a health check's passing process does
 *   not count.
 *
 * BENCH_APPS=calendar,chat limits the apps. Uses the engine named by
 * FOYER_TEST_DOCKER_HOST, else starts a private one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadProject } from '../compose/index.js';
import { readAppFolder } from '../server/catalog/catalog.js';
import { appDirsOf } from '../server/catalog/lint.js';
import type { AppManifest, Setting } from '../server/catalog/manifest.js';
import { FOYER_CATALOG, freePort, startAppDaemon } from '../test/support/app-daemon.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { idleContainerMemory } from '../test/support/cgroup-memory.js';
import type { TestEngine } from '../test/support/engine.js';
import { DEBIAN_IMAGE } from '../test/support/images.js';

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const only = process.env.BENCH_APPS?.split(',').filter(Boolean);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Build {
  service: string;
  context: string;
  dockerfile: string;
  args: Record<string, string>;
}

interface Figures {
  app: string;
  firstMs: number;
  cachedMs: number;
  imageBytes: number;
  memory: { service: string; resident: number; anon: number }[];
}

/** The Dockerfile builds of an app's services, with the settings' defaults interpolated. */
function buildsOf(dir: string, settings: Record<string, string>): Build[] {
  const app = readAppFolder(dir);
  const { project } = loadProject({
    files: [{ path: app.composePath, content: app.composeContent }],
    environment: { ...settings, FOYER_INSTALL: app.manifest.id, FOYER_APP: app.manifest.id },
    envFiles: [],
    projectName: app.manifest.id,
    workingDir: dir,
    readFile: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
  });
  return Object.entries(project.services).flatMap(([service, s]) => {
    if (!s.build) return [];
    const context = s.build.context ?? dir;
    return [
      {
        service,
        context,
        dockerfile: join(context, s.build.dockerfile ?? 'Dockerfile'),
        args: Object.fromEntries(
          Object.entries(s.build.args ?? {}).map(([k, v]) => [k, String(v ?? '')]),
        ),
      },
    ];
  });
}

/** Settings a person could have entered: defaults, a free port for each port, strong passwords. */
async function settingsFor(manifest: AppManifest): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const setting of manifest.settings ?? []) {
    if (setting.secret?.generate) continue;
    out[setting.key] = await valueFor(setting);
  }
  return out;
}

async function valueFor(setting: Setting): Promise<string> {
  if (setting.type === 'number' && /PORT$/.test(setting.key)) return String(await freePort());
  if (setting.default !== undefined) return String(setting.default);
  switch (setting.type) {
    case 'domain':
      return 'bench.example.org';
    case 'email':
      return 'someone@bench.example.org';
    case 'password':
      return `Bench-${randomBytes(12).toString('base64url')}`;
    case 'number':
      return String(setting.min ?? 1);
    case 'boolean':
      return 'false';
    case 'choice':
      return setting.choices?.[0] ?? '';
    default:
      return 'alice';
  }
}

async function timedBuild(engine: TestEngine, build: Build, tag: string, cache: boolean) {
  const args = Object.entries(build.args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  const started = performance.now();
  await engine.docker([
    'build',
    ...(cache ? [] : ['--no-cache']),
    '-q',
    '-t',
    tag,
    '-f',
    build.dockerfile,
    ...args,
    build.context,
  ]);
  return performance.now() - started;
}

async function imageSize(engine: TestEngine, image: string): Promise<number> {
  const { stdout } = await engine.docker(['image', 'inspect', '-f', '{{.Size}}', image]);
  return Number(stdout.trim());
}

async function main() {
  const { engine, stop } = await openBenchEngine();
  const apps = appDirsOf(FOYER_CATALOG)
    .map((dir) => ({ dir, app: readAppFolder(dir) }))
    .filter(({ app }) => !only || only.includes(app.manifest.id));
  const figures: Figures[] = [];
  const base = await imageSize(engine, DEBIAN_IMAGE);
  const daemon = await startAppDaemon(engine);
  try {
    for (const { dir, app } of apps) {
      const id = app.manifest.id;
      const settings = await settingsFor(app.manifest);
      const builds = buildsOf(dir, settings);
      if (builds.length === 0) {
        console.error(`${id}: a pulled image, not built here; skipped`);
        continue;
      }
      let firstMs = 0;
      let cachedMs = 0;
      let imageBytes = 0;
      for (const build of builds) {
        const tag = `foyer-bench/${id}-${build.service}:latest`;
        firstMs += await timedBuild(engine, build, tag, false);
        cachedMs += await timedBuild(engine, build, tag, true);
        imageBytes += (await imageSize(engine, tag)) - base;
      }
      console.error(`${id}: built (${secs(firstMs)} first, ${secs(cachedMs)} cached); installing`);
      await daemon.install(id, settings, { ms: 900_000 });
      await sleep(IDLE_S * 1000);
      const { stdout } = await engine.docker([
        'ps',
        '--filter',
        `label=foyer.install=${id}`,
        '--format',
        '{{.ID}} {{.Label "com.docker.compose.service"}}',
      ]);
      const memory = [];
      for (const line of stdout.trim().split('\n').filter(Boolean)) {
        const [container = '', service = '?'] = line.split(' ');
        const { resident, anon } = await idleContainerMemory(engine, container);
        memory.push({ service, resident, anon });
      }
      await daemon.uninstall(id, { purge: true });
      figures.push({ app: id, firstMs, cachedMs, imageBytes, memory });
    }
  } finally {
    await daemon.close();
    await stop();
  }
  console.log(
    `debian:bookworm-slim base image: ${mib(base)} (shared by every app; not in the sizes below)`,
  );
  console.log(`idle memory read ${IDLE_S} s after each app was running and healthy`);
  console.log('');
  console.log(
    '| app | build, first | build, cached | image size (above base) | idle resident memory |',
  );
  console.log('|---|---|---|---|---|');
  for (const f of figures) {
    const memory = f.memory
      .map((m) => `${m.service} ${mib(m.resident)} (anon ${mib(m.anon)})`)
      .join('; ');
    console.log(
      `| ${f.app} | ${secs(f.firstMs)} | ${secs(f.cachedMs)} | ${mib(f.imageBytes)} | ${memory} |`,
    );
  }
}

await main();
