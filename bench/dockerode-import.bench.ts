/**
 * `npm run bench:docker-import`: what loading dockerode costs the daemon's
 * start, as a plain `require('dockerode')` and as `connectDocker()` does it
 * (ssh2 and the BuildKit session stubbed out; see server/docker/dockerode-load.ts).
 * Each sample runs in a fresh child process, since a module loads once per
 * process; the child measures the time and RSS growth of that one step.
 * Both variants' children load tsx's ESM hooks (to import the adapter's
 * TypeScript), which grows the heap first: the RSS figures are lower than in
 * a bare `node -e "require('dockerode')"` (~21 MiB, ~10.5 MiB stubbed), but
 * the difference between the two variants is the same.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type Variant = 'plain' | 'stubbed';
interface Sample {
  ms: number;
  rssMiB: number;
}

const childArg = process.argv.indexOf('--child');
if (childArg === -1) main();
else await child(process.argv[childArg + 1] as Variant);

async function child(variant: Variant): Promise<void> {
  // Foyer's own modules load before the clock starts: only dockerode's loading is measured.
  const { connectDocker } =
    variant === 'stubbed' ? await import('../server/docker/dockerode-adapter.js') : {};
  const require = createRequire(import.meta.url);
  const rss = process.memoryUsage.rss();
  const start = performance.now();
  if (connectDocker) await connectDocker('unix:///var/run/docker.sock');
  else require('dockerode');
  const sample: Sample = {
    ms: performance.now() - start,
    rssMiB: (process.memoryUsage.rss() - rss) / 2 ** 20,
  };
  process.stdout.write(JSON.stringify(sample));
}

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 9);
  const script = fileURLToPath(import.meta.url);
  const measure = (variant: Variant): Sample => {
    // tsx/esm hooks only ESM imports: dockerode's CommonJS loads as it does in the built daemon.
    const args = ['--import', 'tsx/esm', script, '--child', variant];
    return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as Sample;
  };
  const samples: Record<Variant, Sample[]> = { plain: [], stubbed: [] };
  // Interleaved, so that a slow moment of the machine does not fall on one variant only.
  for (let i = 0; i < runs; i++) {
    samples.plain.push(measure('plain'));
    samples.stubbed.push(measure('stubbed'));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const row = (label: string, s: Sample[]) => {
    const ms = median(s.map((x) => x.ms));
    const mib = median(s.map((x) => x.rssMiB));
    console.log(
      `  ${label.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms ${mib.toFixed(1).padStart(7)} MiB`,
    );
    return { ms, mib };
  };
  console.log(
    `dockerode import cost: median of ${runs} fresh processes each, node ${process.version}`,
  );
  console.log(`  ${'variant'.padEnd(34)} ${'time'.padStart(10)} ${'RSS +'.padStart(11)}`);
  const plain = row("require('dockerode')", samples.plain);
  const stubbed = row('connectDocker() (ssh2, grpc stubbed)', samples.stubbed);
  console.log(
    `  saved: ${(plain.ms - stubbed.ms).toFixed(1)} ms, ${(plain.mib - stubbed.mib).toFixed(1)} MiB`,
  );
}
