/**
 * plan(desired, observed) → the ordered operations that make the engine
 * match one install. Pure: no I/O, no clock, no randomness, so it is tested
 * with golden text and re-run from scratch after any crash. A steady state
 * plans nothing (DESIGN: "A steady state makes zero writes").
 *
 * Crash safety rests on deterministic names: a service's container is
 * `<project>-<service>-1`, and while it is being recreated the new one
 * exists as `<name>-next`. Whatever instant a crash happens at, the next plan
 * sees some combination of those two and finishes the job.
 */
import type { ContainerSummary } from '../docker/adapter.js';
import type {
  DesiredService,
  DesiredState,
  ObservedState,
  Operation,
  Supervision,
} from './types.js';

const HASH_LABEL = 'com.docker.compose.config-hash';
const SERVICE_LABEL = 'com.docker.compose.service';

/** The temporary name of a service's replacement container during a recreate. */
export function nextName(containerName: string): string {
  return `${containerName}-next`;
}

function isUp(c: ContainerSummary): boolean {
  return c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
}

/** Exit code from the list API's status text, "Exited (0) 3 seconds ago". */
export function exitCode(c: ContainerSummary): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(c.status);
  return m ? Number(m[1]) : undefined;
}

function removal(c: ContainerSummary, service: string, cause: string): Operation[] {
  const stop: Operation[] = isUp(c)
    ? [{ kind: 'StopContainer', service, container: c.name, cause }]
    : [];
  return [...stop, { kind: 'RemoveContainer', service, container: c.name, cause }];
}

function groupByService(containers: ContainerSummary[]): Map<string, ContainerSummary[]> {
  const groups = new Map<string, ContainerSummary[]>();
  for (const c of containers) {
    const service = c.labels[SERVICE_LABEL] ?? '';
    groups.set(service, [...(groups.get(service) ?? []), c]);
  }
  return groups;
}

function planAbsent(desired: DesiredState, observed: ObservedState): Operation[] {
  const ops: Operation[] = [];
  for (const c of observed.containers) {
    ops.push(...removal(c, c.labels[SERVICE_LABEL] ?? '', 'install removed'));
  }
  for (const n of observed.networks)
    ops.push({ kind: 'RemoveNetwork', name: n.name, cause: 'install removed' });
  if (desired.purge) {
    for (const v of observed.volumes)
      ops.push({ kind: 'RemoveVolume', name: v.name, cause: 'install purged' });
    // Last: the containers that used them are gone by now (issue 11 §5).
    for (const image of observed.builtImages ?? [])
      ops.push({ kind: 'RemoveImage', name: image.name, image: image.id, cause: 'install purged' });
  }
  return ops;
}

function planImages(desired: DesiredState, observed: ObservedState, refresh: boolean): Operation[] {
  const ops: Operation[] = [];
  const seen = new Set<string>();
  for (const s of desired.services) {
    if (seen.has(s.image)) continue;
    seen.add(s.image);
    const image = observed.images[s.image];
    if (s.build) {
      const { hash, ...options } = s.build;
      if (!image)
        ops.push({ kind: 'BuildImage', service: s.name, options, cause: 'image not built yet' });
      else if (image.buildHash !== hash) {
        ops.push({ kind: 'BuildImage', service: s.name, options, cause: 'build context changed' });
      } else if (refresh) {
        const fresh = { ...options, noCache: true };
        ops.push({
          kind: 'BuildImage',
          service: s.name,
          options: fresh,
          cause: 'update requested',
        });
      }
    } else if (!image) {
      ops.push({ kind: 'PullImage', service: s.name, image: s.image, cause: 'image missing' });
    } else if (refresh) {
      ops.push({ kind: 'PullImage', service: s.name, image: s.image, cause: 'update requested' });
    }
  }
  return ops;
}

/** Operations that bring one service's containers to its desired hash, running. */
function planService(
  s: DesiredService,
  containers: ContainerSummary[],
  services: Map<string, DesiredService>,
  supervision: Supervision,
): Operation[] {
  const ops: Operation[] = [];
  const temp = nextName(s.containerName);
  const primary = containers.find((c) => c.name === s.containerName);
  const next = containers.find((c) => c.name === temp);
  for (const c of containers) {
    if (c !== primary && c !== next) ops.push(...removal(c, s.name, 'not the service container'));
  }
  let needsStart: boolean;
  if (primary && primary.labels[HASH_LABEL] === s.hash) {
    if (next) ops.push(...removal(next, s.name, 'leftover of a finished recreate'));
    // Foyer starts what the restart policy would: a one-shot ("no", "on-failure") only if it
    // never ran, so a finished or failed one-shot is not run again and again; a long-running
    // service whenever it is down (stopped by hand, or the engine restarted).
    needsStart = s.oneShot ? primary.state === 'created' : !isUp(primary);
    if (!needsStart && supervision.restartAll) {
      const op = { kind: 'RestartContainer', service: s.name, container: primary.name } as const;
      ops.push({ ...op, timeout: s.stopTimeout, cause: 'restart requested' });
    } else if (
      !needsStart &&
      primary.health === 'unhealthy' &&
      supervision.restartUnhealthy.has(s.name)
    ) {
      ops.push({
        kind: 'RestartContainer',
        service: s.name,
        container: primary.name,
        timeout: s.stopTimeout,
        cause: 'unhealthy',
      });
    }
  } else {
    if (!(next && next.labels[HASH_LABEL] === s.hash)) {
      if (next) ops.push(...removal(next, s.name, 'stale replacement'));
      const name = primary ? temp : s.containerName;
      const cause = primary ? 'config changed' : 'no container';
      ops.push({ kind: 'CreateContainer', service: s.name, name, body: s.createBody, cause });
      for (const c of s.connect) {
        ops.push({
          kind: 'ConnectNetwork',
          service: s.name,
          container: name,
          network: c.network,
          // The container being made: `<name>-next` during a recreate, never the one it replaces
          // (which would join the network and keep serving while the new one stays off it).
          body: { ...c.body, Container: name },
          cause: 'another network',
        });
      }
      if (s.files.length > 0)
        ops.push({
          kind: 'CopyFiles',
          service: s.name,
          container: name,
          files: s.files,
          cause: 'secrets and configs',
        });
    }
    // The recreate invariant (docker/compose): the new container exists before the old one is removed.
    if (primary) ops.push(...removal(primary, s.name, 'replaced by a recreated container'));
    if (primary || next) {
      ops.push({
        kind: 'RenameContainer',
        service: s.name,
        container: temp,
        newName: s.containerName,
        cause: 'finish recreate',
      });
    }
    needsStart = true;
  }
  if (!needsStart) return ops;
  for (const [dep, { condition }] of Object.entries(s.dependsOn)) {
    const dependency = services.get(dep);
    if (condition === 'service_started' || !dependency) continue;
    ops.push({
      kind: 'WaitForDependency',
      service: s.name,
      dependency: dep,
      container: dependency.containerName,
      condition,
      cause: `depends_on ${condition}`,
    });
  }
  ops.push({
    kind: 'StartContainer',
    service: s.name,
    container: s.containerName,
    cause: 'not running',
  });
  return ops;
}

/** The operations that make the engine match `desired`; empty in a steady state. */
export function plan(
  desired: DesiredState,
  observed: ObservedState,
  supervision: Supervision,
): Operation[] {
  if (desired.run === 'absent') return planAbsent(desired, observed);
  const ops: Operation[] = [];
  const networkNames = new Set(observed.networks.map((n) => n.name));
  for (const n of desired.networks) {
    if (!networkNames.has(n.name))
      ops.push({ kind: 'CreateNetwork', name: n.name, body: n.body, cause: 'network missing' });
  }
  const volumeNames = new Set(observed.volumes.map((v) => v.name));
  for (const v of desired.volumes) {
    if (!volumeNames.has(v.name))
      ops.push({ kind: 'CreateVolume', name: v.name, body: v.body, cause: 'volume missing' });
  }
  const groups = groupByService(observed.containers);
  const wanted = new Set(desired.services.map((s) => s.name));
  for (const [service, containers] of groups) {
    if (wanted.has(service)) continue;
    for (const c of containers) ops.push(...removal(c, service, 'service left the app'));
  }
  if (desired.run === 'stopped') {
    for (const s of desired.services) {
      for (const c of groups.get(s.name) ?? []) {
        if (isUp(c))
          ops.push({
            kind: 'StopContainer',
            service: s.name,
            container: c.name,
            timeout: s.stopTimeout,
            cause: 'install stopped',
          });
      }
    }
  } else {
    // Images first, alone: a container created before its image's id is known would carry a
    // hash without the digest and be recreated on the next pass.
    const images = planImages(desired, observed, supervision.refreshImages === true);
    // An update fetches every new image while the old version runs on (issue 15): nothing is
    // stopped or replaced before the new images are complete.
    if (desired.imagesOnly) return images;
    if (images.length > 0) return [...ops, ...images];
    const services = new Map(desired.services.map((s) => [s.name, s]));
    for (const s of desired.services) {
      ops.push(...planService(s, groups.get(s.name) ?? [], services, supervision));
    }
  }
  const wantedNetworks = new Set(desired.networks.map((n) => n.name));
  for (const n of observed.networks) {
    if (!wantedNetworks.has(n.name))
      ops.push({ kind: 'RemoveNetwork', name: n.name, cause: 'network left the app' });
  }
  return ops;
}

function describe(op: Operation): string {
  switch (op.kind) {
    case 'CreateNetwork':
    case 'CreateVolume':
    case 'RemoveNetwork':
    case 'RemoveVolume':
    case 'RemoveImage':
      return op.name;
    case 'PullImage':
      return `service:${op.service} ${op.image}`;
    case 'BuildImage':
      return `service:${op.service} ${op.options.tag}`;
    case 'CreateContainer':
      return `service:${op.service} ${op.name}`;
    case 'ConnectNetwork':
      return `service:${op.service} ${op.container} to ${op.network}`;
    case 'CopyFiles':
      return `service:${op.service} ${op.container} ${op.files.map((f) => f.path).join(',')}`;
    case 'WaitForDependency':
      return `service:${op.service} until ${op.dependency} (${op.condition})`;
    case 'RenameContainer':
      return `service:${op.service} ${op.container} to ${op.newName}`;
    default:
      return `service:${op.service} ${op.container}`;
  }
}

/** The stable text form of a plan, one numbered line per operation, for logs and golden tests. */
export function planToString(ops: Operation[]): string {
  return ops.map((op, i) => `[${i + 1}] ${op.kind} ${describe(op)} — ${op.cause}`).join('\n');
}
