/**
 * `ports` in short (`[IP:][HOST:]CONTAINER[/PROTOCOL]`) and long syntax,
 * normalised to the long form (spec: services → ports). A container range
 * becomes one entry per port, as `docker compose config` prints it.
 */
import type { Port } from './model.js';
import { type Diagnostics, joinPath } from './problems.js';
import {
  checkKeys,
  isMap,
  type RawMap,
  readInteger,
  readList,
  readString,
  scalarText,
} from './raw.js';

const LONG_KEYS = new Set([
  'target',
  'published',
  'host_ip',
  'protocol',
  'app_protocol',
  'mode',
  'name',
]);

interface Range {
  start: number;
  end: number;
}

function parseRange(text: string, what: string): Range {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new Error(`invalid ${what} port "${text}"`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 1 || end > 65535 || end < start) throw new Error(`invalid ${what} port "${text}"`);
  return { start, end };
}

/** Parses one short-syntax entry into long-form ports; throws an Error with the reason. */
export function parsePortShortSyntax(text: string): Port[] {
  let rest = text.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (!protocol) throw new Error(`missing protocol after "/" in "${text}"`);
  }
  // Split from the right: an unbracketed IPv6 host address contains colons too.
  const parts = rest.split(':');
  const containerText = parts.pop() ?? '';
  const publishedText = parts.length > 0 ? parts.pop() : undefined;
  let hostIp = parts.length > 0 ? parts.join(':') : undefined;
  if (hostIp?.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  if (hostIp === '') throw new Error(`empty host address in "${text}"`);

  const target = parseRange(containerText, 'container');
  const published = publishedText ? parseRange(publishedText, 'host') : undefined;
  const targets = target.end - target.start + 1;
  const base = (n: number): Port => ({
    mode: 'ingress',
    target: n,
    protocol,
    ...(hostIp !== undefined ? { host_ip: hostIp } : {}),
  });
  if (!published) {
    return Array.from({ length: targets }, (_, i) => base(target.start + i));
  }
  const publishedCount = published.end - published.start + 1;
  if (targets === 1) {
    const value =
      publishedCount === 1 ? String(published.start) : `${published.start}-${published.end}`;
    return [{ ...base(target.start), published: value }];
  }
  if (publishedCount !== targets) {
    throw new Error(`host and container port ranges differ in size in "${text}"`);
  }
  return Array.from({ length: targets }, (_, i) => ({
    ...base(target.start + i),
    published: String(published.start + i),
  }));
}

function readLongPort(map: RawMap, path: string, diag: Diagnostics): Port | undefined {
  checkKeys(map, path, diag, LONG_KEYS);
  const target = readInteger(map.target, joinPath(path, 'target'), diag, { min: 1, max: 65535 });
  const mode = map.mode === undefined ? 'ingress' : map.mode;
  if (mode !== 'ingress' && mode !== 'host') {
    diag.error(joinPath(path, 'mode'), 'must be "ingress" or "host"');
  }
  const port: Port = {
    mode: mode === 'host' ? 'host' : 'ingress',
    target: target ?? 0,
    protocol: 'tcp',
  };
  if (map.published !== undefined && map.published !== null) {
    const published = scalarText(map.published);
    if (published === undefined || !/^\d+(-\d+)?$/.test(published)) {
      diag.error(joinPath(path, 'published'), 'must be a port or a port range');
    } else if (published !== '') port.published = published;
  }
  for (const key of ['host_ip', 'protocol', 'app_protocol', 'name'] as const) {
    if (map[key] === undefined) continue;
    const value = readString(map[key], joinPath(path, key), diag);
    if (value !== undefined) port[key] = value;
  }
  return target === undefined ? undefined : port;
}

/** Normalises a service's `ports` list, short and long entries mixed. */
export function readPorts(value: unknown, path: string, diag: Diagnostics): Port[] {
  const list = readList(value, path, diag) ?? [];
  const out: Port[] = [];
  list.forEach((item, i) => {
    const itemPath = joinPath(path, i);
    if (isMap(item)) {
      const port = readLongPort(item, itemPath, diag);
      if (port) out.push(port);
      return;
    }
    const text = scalarText(item);
    if (text === undefined || typeof item === 'boolean') {
      diag.error(itemPath, 'must be a port string or a mapping');
      return;
    }
    try {
      out.push(...parsePortShortSyntax(text));
    } catch (error) {
      diag.error(itemPath, (error as Error).message);
    }
  });
  return out;
}

/** `expose` entries: a port or range with an optional protocol, kept as text. */
export function readExpose(value: unknown, path: string, diag: Diagnostics): string[] {
  const list = readList(value, path, diag) ?? [];
  const out: string[] = [];
  list.forEach((item, i) => {
    const text = scalarText(item);
    if (text === undefined || !/^\d+(-\d+)?(\/\w+)?$/.test(text)) {
      diag.error(joinPath(path, i), 'must be a port, optionally with a protocol ("3000/udp")');
    } else out.push(text);
  });
  return out;
}
