/**
 * The DockerAdapter over dockerode's HTTP client (docker-modem). With
 * dockerode-load.ts, which loads dockerode, the only code that touches
 * dockerode or the engine. Requests go through one `send` so every
 * answer is mapped the same way; the idempotence the reconciler relies on
 * (gone is removed, stopped is stopped, 409 on create is "exists") lives here.
 */

import type Dockerode from 'dockerode';
import { ConflictError, type DockerAdapter, type EngineObject } from './adapter.js';
import { contextArchive, filesArchive } from './docker-archives.js';
import { logLines } from './docker-logs.js';
import {
  adapterError,
  containerDetails,
  containerSummary,
  imageSummary,
  type RawContainerDetails,
  type RawContainerSummary,
  type RawImage,
  statusOf,
} from './docker-replies.js';
import {
  type EngineStream,
  followBuild,
  followEvents,
  followPull,
  formatSince,
} from './docker-streams.js';
import { describeHost, dockerOptions, loadDockerode } from './dockerode-load.js';

/** Connects to the engine at `host` (a DOCKER_HOST value); the engine is first asked on the first call. */
export async function connectDocker(host = process.env.DOCKER_HOST): Promise<DockerAdapter> {
  const options = dockerOptions(host);
  const Docker = loadDockerode(options.protocol === 'ssh');
  return dockerodeAdapter(new Docker(options), describeHost(options));
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RequestOptions {
  query?: Record<string, unknown>;
  body?: unknown;
  file?: Buffer | NodeJS.ReadableStream;
  signal?: AbortSignal;
  /** 409 means "it exists": the request creates or names something. */
  conflict?: boolean;
  /** Error statuses that mean the wanted state already holds; the call then resolves undefined. */
  fine?: number[];
}

const enc = encodeURIComponent;
const OK = { 200: true, 201: true, 204: true } as const;

/** Engine API calls over docker-modem, with every failure mapped to the adapter's errors. */
function engineClient(docker: Dockerode, where: string) {
  const send = <T>(method: Method, path: string, o: RequestOptions, isStream: boolean) =>
    new Promise<T>((resolve, reject) => {
      // Undefined query values would be sent as empty parameters.
      const query = Object.entries(o.query ?? {}).filter(([, v]) => v !== undefined);
      docker.modem.dial(
        {
          method,
          path: query.length > 0 ? `${path}?` : path,
          // _query and _body keep docker-modem from also copying the body into the query string.
          options: { _query: Object.fromEntries(query), _body: o.body ?? {} },
          ...(o.file ? { file: o.file } : {}),
          ...(o.signal ? { abortSignal: o.signal } : {}),
          isStream,
          statusCodes: OK,
        },
        (err, data) => (err ? reject(err) : resolve(data as T)),
      );
    }).catch((e: unknown): undefined => {
      if (o.fine?.includes(statusOf(e) ?? 0)) return undefined;
      throw adapterError(e, where, o.conflict);
    });
  return {
    /** The JSON answer; undefined when the status is one of `fine`. */
    call: <T = unknown>(method: Method, path: string, o: RequestOptions = {}) =>
      send<T>(method, path, o, false),
    /** The answer's body as a stream, for pulls, builds and events. */
    stream: async (method: Method, path: string, o: RequestOptions = {}) =>
      (await send<EngineStream>(method, path, o, true))!,
  };
}

/** A DockerAdapter over a dockerode client; `where` names the engine in error messages. */
export function dockerodeAdapter(docker: Dockerode, where: string): DockerAdapter {
  const { call, stream } = engineClient(docker, where);
  const labelFilter = (labels: string[]) => ({ filters: { label: labels } });
  const failed = (e: unknown) => {
    throw adapterError(e, where);
  };
  type Labels = Record<string, string> | null;

  return {
    async *logs(idOrName, o) {
      const details = await call<{ Config?: { Tty?: boolean } }>(
        'GET',
        `/containers/${enc(idOrName)}/json`,
      );
      const query = {
        stdout: true,
        stderr: true,
        follow: o.follow === true,
        timestamps: o.timestamps === true,
        tail: o.tail === undefined ? 'all' : String(o.tail),
      };
      const body = await stream('GET', `/containers/${enc(idOrName)}/logs`, {
        query,
        signal: o.signal,
      });
      try {
        yield* logLines(body, details?.Config?.Tty === true);
      } catch (error) {
        // An aborted follow ends the stream; that is the caller's way to stop, not a failure.
        if (!o.signal?.aborted) throw error;
      } finally {
        body.destroy();
      }
    },
    async version() {
      const v = await call<{ Version: string; ApiVersion: string }>('GET', '/version');
      return { version: v!.Version, apiVersion: v!.ApiVersion };
    },
    async info() {
      type Answer = { CgroupDriver?: string; CgroupVersion?: string; DockerRootDir?: string };
      const answer = (await call<Answer>('GET', '/info')) ?? {};
      return {
        cgroupDriver: answer.CgroupDriver ?? 'cgroupfs',
        // Engines before API 1.40 say nothing: they only know cgroup v1.
        cgroupVersion: answer.CgroupVersion ?? '1',
        dockerRootDir: answer.DockerRootDir ?? '/var/lib/docker',
      };
    },
    async diskUsage() {
      type Answer = {
        Volumes?: { Name: string; Labels?: Labels; UsageData?: { Size?: number } | null }[] | null;
        Images?: { Id: string; Size?: number }[] | null;
      };
      const answer = (await call<Answer>('GET', '/system/df')) ?? {};
      return {
        volumes: (answer.Volumes ?? []).map((v) => ({
          name: v.Name,
          labels: v.Labels ?? {},
          size: v.UsageData?.Size ?? -1,
        })),
        images: (answer.Images ?? []).map((i) => ({ id: i.Id, size: i.Size ?? -1 })),
      };
    },
    async listContainers(labels) {
      const query = { all: true, ...labelFilter(labels) };
      const rows = await call<RawContainerSummary[]>('GET', '/containers/json', { query });
      return (rows ?? []).map(containerSummary);
    },
    async listNetworks(labels) {
      type Row = {
        Id: string;
        Name: string;
        Labels?: Labels;
        Driver?: string;
        IPAM?: { Config?: { Subnet?: string }[] | null };
        Options?: Labels;
      };
      const rows = await call<Row[]>('GET', '/networks', { query: labelFilter(labels) });
      return (rows ?? []).map((n) => ({
        id: n.Id,
        name: n.Name,
        labels: n.Labels ?? {},
        driver: n.Driver,
        subnets: (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])),
        bridge: n.Options?.['com.docker.network.bridge.name'],
      }));
    },
    async listVolumes(labels) {
      type Answer = { Volumes?: { Name: string; Labels?: Labels }[] | null };
      const answer = await call<Answer>('GET', '/volumes', { query: labelFilter(labels) });
      return (answer?.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    },
    async listImages(labels) {
      const query = labels && labels.length > 0 ? labelFilter(labels) : {};
      return ((await call<RawImage[]>('GET', '/images/json', { query })) ?? []).map(imageSummary);
    },
    async removeImage(id) {
      // Never forced: an image a container uses stays (409, ConflictError), whoever runs it.
      await call('DELETE', `/images/${enc(id)}`, { fine: [404], conflict: true });
    },
    async tagImage(id, reference) {
      const [repo, tag] = splitReference(reference);
      await call('POST', `/images/${encodeURI(id)}/tag`, { query: { repo, tag } });
    },
    async untagImage(reference) {
      // Never forced: an image a container runs under its last reference stays.
      await call('DELETE', `/images/${encodeURI(reference)}`, { fine: [404, 409] });
    },
    async inspectImage(ref) {
      // A reference keeps its "/" and ":" in the path, as the engine's router expects.
      const raw = await call<RawImage>('GET', `/images/${encodeURI(ref)}/json`, { fine: [404] });
      return raw && imageSummary(raw);
    },
    async inspectContainer(idOrName) {
      const path = `/containers/${enc(idOrName)}/json`;
      const raw = await call<RawContainerDetails>('GET', path, { fine: [404] });
      return raw && containerDetails(raw);
    },
    async pullImage(ref, onProgress) {
      const [fromImage, tag] = splitReference(ref);
      const body = await stream('POST', '/images/create', { query: { fromImage, tag } });
      await followPull(body, onProgress, where).catch(failed);
    },
    async buildImage(o, onProgress) {
      const query = {
        dockerfile: o.dockerfile,
        t: o.tag,
        buildargs: o.args,
        target: o.target,
        labels: o.labels,
        // Intermediate containers go even when a step fails, so a failed build leaves nothing.
        rm: true,
        forcerm: true,
        ...(o.noCache ? { nocache: true } : {}),
      };
      const file = contextArchive(o.context);
      // A context that cannot be read aborts the upload, which looks like an engine failure:
      // report the folder's error instead.
      let unreadable: Error | undefined;
      file.on('error', (e: Error) => {
        unreadable ??= e;
      });
      const blameContext = (e: unknown) => {
        if (!unreadable) throw e;
        throw new Error(`cannot read the build context ${o.context}: ${unreadable.message}`, {
          cause: unreadable,
        });
      };
      const body = await stream('POST', '/build', { query, file }).catch(blameContext);
      await followBuild(body, onProgress, where).catch(failed).catch(blameContext);
    },
    async createNetwork(body) {
      // Docker 20.10 creates a second network of the same name unless asked to check (API 1.41).
      const checked = { ...body, CheckDuplicate: true };
      await call('POST', '/networks/create', { body: checked, conflict: true }).catch(
        naming({ kind: 'network', name: String(body.Name) }),
      );
    },
    async removeNetwork(name) {
      await call('DELETE', `/networks/${enc(name)}`, { fine: [404] });
    },
    async createVolume(body) {
      // The engine answers 201 with the existing volume when the name is taken: idempotent for
      // Foyer's own volumes, a conflict for anyone else's (the data is not ours to take).
      const answer = await call<{ Labels?: Labels | null }>('POST', '/volumes/create', { body });
      const wanted = (body.Labels as Labels | undefined)?.['foyer.instance'];
      const found = answer?.Labels?.['foyer.instance'];
      if (wanted !== undefined && found !== wanted) {
        const name = String(body.Name);
        throw new ConflictError(`volume "${name}" already exists`, { kind: 'volume', name });
      }
    },
    async removeVolume(name) {
      await call('DELETE', `/volumes/${enc(name)}`, { fine: [404] });
    },
    async createContainer(name, body) {
      const options = { query: { name }, body, conflict: true };
      const created = await call<{ Id: string }>('POST', '/containers/create', options).catch(
        naming({ kind: 'container', name }),
      );
      return created!.Id;
    },
    async connectNetwork(network, body) {
      try {
        await call('POST', `/networks/${enc(network)}/connect`, { body });
      } catch (e) {
        // A stopped container is simply connected again; a running one gets 403 and this text.
        if (statusOf(e) === 403 && /already exists in network/.test((e as Error).message)) return;
        throw e;
      }
    },
    async putFiles(container, files) {
      const file = await filesArchive(files);
      await call('PUT', `/containers/${enc(container)}/archive`, { query: { path: '/' }, file });
    },
    async startContainer(idOrName) {
      // 304: already running.
      await call('POST', `/containers/${enc(idOrName)}/start`, { fine: [304] });
    },
    async stopContainer(idOrName, timeoutSeconds) {
      // 304: already stopped; 404: a container that does not exist is not running either.
      const options = { query: { t: timeoutSeconds }, fine: [304, 404] };
      await call('POST', `/containers/${enc(idOrName)}/stop`, options);
    },
    async restartContainer(idOrName, timeoutSeconds) {
      await call('POST', `/containers/${enc(idOrName)}/restart`, { query: { t: timeoutSeconds } });
    },
    async removeContainer(idOrName, force = false) {
      await call('DELETE', `/containers/${enc(idOrName)}`, { query: { force }, fine: [404] });
    },
    async renameContainer(idOrName, newName) {
      const options = { query: { name: newName }, conflict: true };
      await call('POST', `/containers/${enc(idOrName)}/rename`, options).catch(
        naming({ kind: 'container', name: newName }),
      );
    },
    async exec(idOrName, command, o = {}) {
      const created = await call<{ Id: string }>('POST', `/containers/${enc(idOrName)}/exec`, {
        body: { Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false },
      });
      const id = created!.Id;
      const body = await stream('POST', `/exec/${enc(id)}/start`, {
        body: { Detach: false, Tty: false },
        signal: o.signal,
      });
      let output = '';
      try {
        for await (const line of logLines(body, false))
          output = (output + line.text).slice(-16_384);
      } finally {
        body.destroy();
      }
      const done = await call<{ ExitCode: number | null }>('GET', `/exec/${enc(id)}/json`);
      return { exitCode: done?.ExitCode ?? -1, output };
    },
    async inspectLabels(kind, name) {
      type Raw = {
        Labels?: Labels | null;
        Created?: string;
        CreatedAt?: string;
        Driver?: string;
        Options?: Record<string, string> | null;
        Mountpoint?: string;
      };
      const path = kind === 'network' ? `/networks/${enc(name)}` : `/volumes/${enc(name)}`;
      const raw = await call<Raw>('GET', path, { fine: [404] });
      if (!raw) return undefined;
      return {
        labels: raw.Labels ?? {},
        createdAt: raw.CreatedAt ?? raw.Created,
        ...(kind === 'volume'
          ? { driver: raw.Driver, options: raw.Options ?? {}, mountpoint: raw.Mountpoint }
          : {}),
      };
    },
    events(options, onEvent, onEnd) {
      const query = {
        since: options.since === undefined ? undefined : formatSince(options.since),
        filters: options.filters,
      };
      const open = (signal: AbortSignal) => stream('GET', '/events', { query, signal });
      return followEvents(open, onEvent, onEnd, (e) => adapterError(e, where), where);
    },
  };
}

/** Rethrows a name conflict saying which object holds the name; other errors as they are. */
function naming(object: EngineObject) {
  return (error: unknown): never => {
    if (error instanceof ConflictError) throw new ConflictError(error.message, object);
    throw error;
  };
}

/** `[name, tag or digest]`: without a tag the engine would pull every tag of the repository. */
export function splitReference(ref: string): [string, string] {
  const at = ref.indexOf('@');
  if (at !== -1) return [ref.slice(0, at), ref.slice(at + 1)];
  // A colon after the last slash separates the tag; one before it is a registry's port.
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}
