/**
 * Translates the engine's JSON answers and error answers into the adapter's
 * types. The raw shapes are written down here, with every field the engine
 * may leave out or send as `null` typed so, instead of trusting
 * @types/dockerode, which calls them required.
 */
import { byCodeUnit } from '../text-order.js';
import {
  ConflictError,
  type ContainerDetails,
  type ContainerState,
  type ContainerSummary,
  EngineError,
  EngineUnreachableError,
  type HealthState,
  type ImageSummary,
} from './adapter.js';

type Labels = Record<string, string> | null | undefined;

export interface RawContainerSummary {
  Id: string;
  Names?: string[] | null;
  Labels?: Labels;
  State: string;
  Status: string;
  ImageID: string;
  Created: number;
  Ports?: { PrivatePort: number; PublicPort?: number; IP?: string; Type: string }[] | null;
}

export interface RawContainerDetails {
  Id: string;
  Name: string;
  Image: string;
  RestartCount?: number;
  Config?: { Labels?: Labels } | null;
  HostConfig?: { RestartPolicy?: { Name?: string } | null } | null;
  State: {
    Status: string;
    Running: boolean;
    Pid?: number;
    ExitCode: number;
    OOMKilled: boolean;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number; Log?: { Output: string }[] | null } | null;
  };
}

export interface RawImage {
  Id: string;
  RepoTags?: string[] | null;
  Labels?: Labels;
  Config?: { Labels?: Labels } | null;
}

const HEALTH_STATES: readonly string[] = ['starting', 'healthy', 'unhealthy'];

/** The health a list row's status text shows: "Up 5 minutes (healthy)", "(health: starting)". */
export function parseHealth(status: string): HealthState | undefined {
  const match = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!match) return undefined;
  return match[1] === 'health: starting' ? 'starting' : (match[1] as HealthState);
}

/** One row of the container list, in the adapter's shape. */
export function containerSummary(raw: RawContainerSummary): ContainerSummary {
  const summary: ContainerSummary = {
    id: raw.Id,
    name: primaryName(raw.Names ?? []),
    labels: raw.Labels ?? {},
    state: raw.State as ContainerState,
    status: raw.Status,
    imageId: raw.ImageID,
    created: raw.Created,
  };
  const health = parseHealth(raw.Status);
  if (health) summary.health = health;
  const ports = (raw.Ports ?? []).flatMap((p) =>
    p.PublicPort
      ? [{ container: p.PrivatePort, host: p.PublicPort, ip: p.IP ?? '0.0.0.0', protocol: p.Type }]
      : [],
  );
  // The engine lists ports in no stable order; a sorted list keeps the status from flapping.
  ports.sort((a, b) => a.container - b.container || a.host - b.host || byCodeUnit(a.ip, b.ip));
  if (ports.length > 0) summary.ports = ports;
  return summary;
}

// Legacy links add names like "/web/db" to the list; the container's own name has one slash.
function primaryName(names: string[]): string {
  const own = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return own.replace(/^\//, '');
}

/** A container's inspect answer, in the adapter's shape. */
export function containerDetails(raw: RawContainerDetails): ContainerDetails {
  const s = raw.State;
  const details: ContainerDetails = {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    labels: raw.Config?.Labels ?? {},
    imageId: raw.Image,
    state: {
      status: s.Status as ContainerState,
      running: s.Running,
      pid: s.Pid ?? 0,
      exitCode: s.ExitCode,
      restartCount: raw.RestartCount ?? 0,
      oomKilled: s.OOMKilled,
      error: s.Error,
      startedAt: s.StartedAt,
      finishedAt: s.FinishedAt,
    },
    restartPolicy: raw.HostConfig?.RestartPolicy?.Name || 'no',
  };
  // The engine reports "none" for a container whose image's check was disabled.
  if (s.Health && HEALTH_STATES.includes(s.Health.Status)) {
    const lastOutput = s.Health.Log?.at(-1)?.Output;
    details.state.health = {
      status: s.Health.Status as HealthState,
      failingStreak: s.Health.FailingStreak,
      ...(lastOutput === undefined ? {} : { lastOutput }),
    };
  }
  return details;
}

/** An image from the list (labels at the top) or from inspect (labels under Config). */
export function imageSummary(raw: RawImage): ImageSummary {
  return {
    id: raw.Id,
    // Untagged images are listed with the placeholder "<none>:<none>".
    tags: (raw.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    labels: raw.Labels ?? raw.Config?.Labels ?? {},
  };
}

// A socket that is missing, refused, reset or closed under us: the engine is down or restarting.
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface ModemError {
  code?: unknown;
  statusCode?: unknown;
  json?: unknown;
  message?: unknown;
}

/** The HTTP status of an engine error answer, if `e` is one. */
export function statusOf(e: unknown): number | undefined {
  const status = (e as ModemError | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps a failure of a request to the adapter's errors. `conflict` marks requests that create
 * or name something, where 409 means "it exists" (the executor adopts it).
 */
export function adapterError(e: unknown, where: string, conflict = false): Error {
  if (e instanceof ConflictError || e instanceof EngineError) return e;
  if (e instanceof EngineUnreachableError) return e;
  const code = (e as ModemError | null)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return new EngineUnreachableError(`cannot reach the Docker engine at ${where}: ${code}`, {
      cause: e,
    });
  }
  const status = statusOf(e);
  if (status === undefined) return e instanceof Error ? e : new Error(String(e));
  const message = engineMessage(e as ModemError);
  return conflict && status === 409 ? new ConflictError(message) : new EngineError(message, status);
}

// docker-modem puts the parsed answer in `json` (a Buffer when it was not JSON) and, for
// streamed answers, only in its own message: "(HTTP code 404) no such image - <message> ".
function engineMessage(e: ModemError): string {
  const json = e.json;
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') {
    return json.message;
  }
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  const text = typeof e.message === 'string' ? e.message : String(e);
  return /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(text)?.[1]?.trim() || text;
}
