/**
 * Debian's updates for built images (issue 15), the effectful part: for each
 * service of an install whose image is built on the box, a throwaway
 * container of the image the service runs asks apt what it would upgrade
 * (`apt-get update`, then `apt-get -s dist-upgrade`), and the packages with
 * newer versions are recorded against that image id (debian-packages.ts reads
 * them). Nothing changes until a person (or the install's automatic updates)
 * asks: `foyer update` then rebuilds the image without cache through the
 * update driver, with its snapshot, health gate and rollback.
 *
 * The check must not disturb the app: its container is on the engine's
 * default bridge (it reaches the Debian mirror, never the install's network),
 * mounts nothing, is capped in memory and CPU weight, carries none of the
 * install's labels (so neither the reconciler nor its events take it for the
 * app's), and is removed whatever happens; one left by a killed daemon is
 * removed at the next start. Checks run one at a time.
 */
import type { DockerAdapter } from '../docker/adapter.js';
import { instanceFilter } from '../reconcile/desired.js';
import type { Logger } from '../reconcile/reconciler.js';
import type { UpdateOffers } from '../store/update-offers.js';
import { checkDue, type ImageCheck, parseSimulatedUpgrade } from './debian-packages.js';

/** The label every check container carries: this Foyer's instance id. */
export const CHECK_LABEL = 'foyer.debian-check';
const CHECK_LIMIT_MS = 10 * 60_000;
const OUTPUT_LIMIT = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;

// `--error-on=any`: an unreachable mirror is a failed check, not an empty list of updates.
const SCRIPT = [
  'set -e',
  'export DEBIAN_FRONTEND=noninteractive',
  'apt-get -qq update --error-on=any >/dev/null',
  'exec apt-get -s -o Debug::NoLocking=1 dist-upgrade',
].join('\n');

export interface DebianChecksOptions {
  docker: DockerAdapter;
  instance: string;
  offers: UpdateOffers;
  /** Installs to look at (every one in the store). */
  installs: () => string[];
  /** The services of an install whose images are built on the box (a compose `build:`). */
  builtServices: (installId: string) => string[];
  log: Logger;
  /** How often the timer looks for installs due a check (default an hour). */
  tickMs?: number;
  /** How old a check may grow before it is made again (default a day). */
  everyMs?: number;
  /** The first look after start (default 10 minutes: the daemon's start stays light). */
  firstMs?: number;
}

export class DebianChecks {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly running = new Map<string, Promise<ImageCheck[]>>();
  private stopped = false;

  constructor(private readonly options: DebianChecksOptions) {}

  /** Removes checks a killed daemon left, then looks for due checks now and then. */
  start(): void {
    void this.removeLeftovers();
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.checkDueInstalls().catch((error) =>
          this.options.log.warn({ err: error }, 'Debian update checks failed'),
        );
        if (!this.stopped) tick();
      }, this.options.tickMs ?? 3_600_000);
      this.timer.unref();
    };
    this.timer = setTimeout(() => {
      void this.checkDueInstalls().catch(() => {});
      tick();
    }, this.options.firstMs ?? 600_000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The images the install's built services run now, by service. */
  async runningImages(installId: string): Promise<Record<string, string>> {
    const built = new Set(this.options.builtServices(installId));
    if (built.size === 0) return {};
    const containers = await this.options.docker.listContainers([
      `foyer.install=${installId}`,
      instanceFilter(this.options.instance),
    ]);
    const images: Record<string, string> = {};
    for (const service of built) {
      const container = containers.find((c) => c.name === `${installId}-${service}-1`);
      if (container) images[service] = container.imageId;
    }
    return images;
  }

  /** Checks every built service of the install now (a second caller shares the check under way). */
  check(installId: string): Promise<ImageCheck[]> {
    const under = this.running.get(installId);
    if (under) return under;
    const run = this.serial(() => this.checkInstall(installId));
    this.running.set(installId, run);
    void run.finally(() => this.running.delete(installId)).catch(() => {});
    return run;
  }

  /** A check of the install is under way (or waiting for another install's to end). */
  isChecking(installId: string): boolean {
    return this.running.has(installId);
  }

  /** Every install that runs an image not checked in the last day. */
  async checkDueInstalls(now = new Date()): Promise<void> {
    for (const id of this.options.installs()) {
      if (this.stopped) return;
      const running = await this.runningImages(id);
      const everyMs = this.options.everyMs ?? DAY_MS;
      if (checkDue(now, running, this.options.offers.checks(id), everyMs)) await this.check(id);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  private async checkInstall(installId: string): Promise<ImageCheck[]> {
    const running = await this.runningImages(installId);
    const checks: ImageCheck[] = [];
    // Services running the same image share one check.
    const byImage = new Map<string, ImageCheck>();
    for (const [service, imageId] of Object.entries(running)) {
      const done = byImage.get(imageId);
      if (done) {
        checks.push({ ...done, service });
        continue;
      }
      const check = await this.checkImage(installId, service, imageId);
      byImage.set(imageId, check);
      checks.push(check);
    }
    this.options.offers.recordChecks(installId, checks);
    const found = checks.reduce((n, c) => n + c.packages.length, 0);
    this.options.log.info({ install: installId, packages: found }, 'checked Debian updates');
    return checks;
  }

  private async checkImage(installId: string, service: string, imageId: string) {
    const checkedAt = new Date().toISOString();
    try {
      const output = await this.runApt(installId, imageId);
      return { service, imageId, checkedAt, packages: parseSimulatedUpgrade(output), error: null };
    } catch (error) {
      const message = (error as Error).message;
      this.options.log.warn({ install: installId, service, err: message }, 'Debian check failed');
      return { service, imageId, checkedAt, packages: [], error: message };
    }
  }

  /** Runs apt in a throwaway container of `imageId`; its stdout, or an error with stderr's end. */
  private async runApt(installId: string, imageId: string): Promise<string> {
    const { docker } = this.options;
    const name = `foyer-debian-check-${installId}`;
    const image = await docker.inspectImage(imageId);
    if (!image) throw new Error(`the image ${imageId} is gone`);
    // The image's own labels would make the container look like one of the install's.
    const labels: Record<string, string> = {};
    for (const key of Object.keys(image.labels))
      if (key.startsWith('foyer.') || key.startsWith('com.docker.compose.')) labels[key] = '';
    labels[CHECK_LABEL] = this.options.instance;
    await docker.removeContainer(name, true);
    await docker.createContainer(name, {
      Image: imageId,
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: [SCRIPT],
      User: '0:0',
      WorkingDir: '/',
      Labels: labels,
      Healthcheck: { Test: ['NONE'] },
      HostConfig: {
        NetworkMode: 'bridge',
        Memory: 512 * 1024 * 1024,
        CpuShares: 128,
        SecurityOpt: ['no-new-privileges'],
        RestartPolicy: { Name: 'no' },
      },
    });
    try {
      await docker.startContainer(name);
      let stdout = '';
      let stderr = '';
      const signal = AbortSignal.timeout(CHECK_LIMIT_MS);
      // The adapter yields one line at a time, without its newline.
      for await (const line of docker.logs(name, { follow: true, signal })) {
        if (line.stream === 'stdout' && stdout.length < OUTPUT_LIMIT) stdout += `${line.text}\n`;
        if (line.stream === 'stderr') stderr = `${stderr}${line.text}\n`.slice(-4000);
      }
      const state = await this.exited(name, signal);
      if (state.exitCode !== 0) {
        const why = stderr.trim().split('\n').slice(-3).join('; ') || `exit code ${state.exitCode}`;
        throw new Error(`apt could not tell: ${why}`);
      }
      return stdout;
    } finally {
      await docker.removeContainer(name, true).catch(() => {});
    }
  }

  /** Waits for the container to have stopped (its log stream may end a moment before). */
  private async exited(name: string, signal: AbortSignal): Promise<{ exitCode: number }> {
    for (;;) {
      const details = await this.options.docker.inspectContainer(name);
      if (!details) throw new Error('the check container vanished');
      if (!details.state.running) return { exitCode: details.state.exitCode };
      if (signal.aborted) throw new Error('apt took longer than 10 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async removeLeftovers(): Promise<void> {
    try {
      const left = await this.options.docker.listContainers([
        `${CHECK_LABEL}=${this.options.instance}`,
      ]);
      for (const c of left) await this.options.docker.removeContainer(c.name, true);
    } catch (error) {
      this.options.log.warn({ err: error }, 'leftover Debian check containers stay');
    }
  }
}
