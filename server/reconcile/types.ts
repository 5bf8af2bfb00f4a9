/**
 * The shapes the reconciler passes between observe, plan and execute. The
 * plan is data: each operation is exactly one Docker API call (or one wait)
 * with the cause that made the planner choose it (STYLE: docker/compose
 * plan.go), so it can be printed, compared in golden tests and executed
 * without any decision left.
 */
import type { ContainerFile, Dependency } from '../../compose/index.js';
import type {
  BuildOptions,
  ContainerSummary,
  NetworkSummary,
  VolumeSummary,
} from '../docker/adapter.js';

export type DesiredRun = 'running' | 'stopped' | 'absent';

/** One service as it should be: the container to create and how to start it. */
export interface DesiredService {
  name: string;
  containerName: string;
  /** The config hash the container must carry (`com.docker.compose.config-hash`). */
  hash: string;
  /** Image reference the container runs; pulled or built when missing. */
  image: string;
  /** Set when the image is built from the app's folder rather than pulled. */
  build?: BuildOptions & { hash: string };
  /** Pull even when the image is present (`pull_policy: always`). */
  alwaysPull: boolean;
  createBody: Record<string, unknown>;
  connect: { network: string; body: Record<string, unknown> }[];
  files: ContainerFile[];
  dependsOn: Record<string, Dependency>;
  hasHealthcheck: boolean;
  /** A one-shot (restart "no" or "on-failure") that exited 0 is done, not stopped. */
  oneShot: boolean;
  stopTimeout?: number;
}

/** Everything one install should be, rendered from its catalogue entry and settings. */
export interface DesiredState {
  install: string;
  run: DesiredRun;
  purge: boolean;
  /** Pull or build the images only; containers stay as they are (an update's first phase). */
  imagesOnly?: boolean;
  networks: { name: string; body: Record<string, unknown> }[];
  volumes: { name: string; body: Record<string, unknown> }[];
  /** In dependency order: a service comes after everything it depends on. */
  services: DesiredService[];
}

/** What the engine holds for one install, read in one snapshot. */
export interface ObservedState {
  containers: ContainerSummary[];
  networks: NetworkSummary[];
  volumes: VolumeSummary[];
  /** Image reference → present in the engine (with the build hash label, for built images). */
  images: Record<string, { id: string; buildHash?: string } | undefined>;
  /**
   * Images Foyer built for this install that no container outside it uses: what a purge
   * removes (observed only for an install being purged).
   */
  builtImages?: { id: string; name: string }[];
}

/** Inputs from supervision that the planner honours but does not decide. */
export interface Supervision {
  /** Services whose unhealthy container may be restarted now (cap not reached). */
  restartUnhealthy: ReadonlySet<string>;
  /** A person asked for a restart: restart every running service, in dependency order. */
  restartAll?: boolean;
  /** A person asked for an update: pull every pulled image and rebuild every built one. */
  refreshImages?: boolean;
}

interface Base {
  cause: string;
}

export type Operation =
  | (Base & { kind: 'CreateNetwork'; name: string; body: Record<string, unknown> })
  | (Base & { kind: 'CreateVolume'; name: string; body: Record<string, unknown> })
  | (Base & { kind: 'PullImage'; service: string; image: string })
  | (Base & { kind: 'BuildImage'; service: string; options: BuildOptions })
  | (Base & {
      kind: 'CreateContainer';
      service: string;
      name: string;
      body: Record<string, unknown>;
    })
  | (Base & {
      kind: 'ConnectNetwork';
      service: string;
      container: string;
      network: string;
      body: Record<string, unknown>;
    })
  | (Base & { kind: 'CopyFiles'; service: string; container: string; files: ContainerFile[] })
  | (Base & {
      kind: 'WaitForDependency';
      service: string;
      dependency: string;
      container: string;
      condition: Dependency['condition'];
    })
  | (Base & { kind: 'StartContainer'; service: string; container: string })
  | (Base & { kind: 'StopContainer'; service: string; container: string; timeout?: number })
  | (Base & { kind: 'RestartContainer'; service: string; container: string; timeout?: number })
  | (Base & { kind: 'RemoveContainer'; service: string; container: string })
  | (Base & { kind: 'RenameContainer'; service: string; container: string; newName: string })
  | (Base & { kind: 'RemoveNetwork'; name: string })
  | (Base & { kind: 'RemoveVolume'; name: string })
  | (Base & { kind: 'RemoveImage'; name: string; image: string });

export type OperationKind = Operation['kind'];
