/**
 * Merges Compose files given together (`-f a.yaml -f b.yaml`), following the
 * spec's "Merge and override" section. Inputs are parsed and interpolated but
 * still raw (short and long syntax mixed); inputs are never mutated and the
 * result shares no mapping or list with them.
 *
 * The YAML loader hands the `!reset` and `!override` tags over as values:
 * `!reset <anything>` becomes the `RESET` symbol and `!override <value>` becomes
 * `{ [OVERRIDE]: <value> }` (see `markOverride`).
 */
import { parsePortShortSyntax } from './ports.js';
import { type Diagnostics, joinPath } from './problems.js';

/** What the loader puts in place of a `!reset`-tagged value ("Reset value"). */
export const RESET: unique symbol = Symbol('compose.reset');
/** Key of the wrapper the loader puts around a `!override`-tagged value ("Replace value"). */
export const OVERRIDE: unique symbol = Symbol('compose.override');

/** A `!override`-tagged value as the loader hands it over. */
export interface OverrideMark {
  [OVERRIDE]: unknown;
}

/** Wraps a value the way the loader must hand over `!override <value>`. */
export function markOverride(value: unknown): OverrideMark {
  return { [OVERRIDE]: value };
}

/** True for the `!override` wrapper. */
export function isOverride(value: unknown): value is OverrideMark {
  return typeof value === 'object' && value !== null && OVERRIDE in value;
}

type RawMap = Record<string, unknown>;
type Merger = (base: unknown, override: unknown, at: At) => unknown;
/** Where a merge happens: the key path (for the rule table) and where problems go. */
type At = { path: string[]; diag: Diagnostics };

/** A plain YAML mapping; not a list, not an `!override` wrapper, not a Date or other object. */
function isMap(value: unknown): value is RawMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (OVERRIDE in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Assigns without tripping the `__proto__` setter (a YAML key can be anything). */
function setKey(map: RawMap, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Copies one document with its tags applied: a `!reset` key is dropped, `!override` unwrapped. */
export function resolveMergeTags(doc: unknown): unknown {
  if (doc === RESET) return null;
  if (isOverride(doc)) return resolveMergeTags(doc[OVERRIDE]);
  if (Array.isArray(doc)) return doc.filter((item) => item !== RESET).map(resolveMergeTags);
  if (!isMap(doc)) return doc;
  const out: RawMap = {};
  for (const [key, value] of Object.entries(doc)) {
    if (value !== RESET) setKey(out, key, resolveMergeTags(value));
  }
  return out;
}

/** Merges a later Compose file over an earlier one (or over the merge of several earlier ones). */
export function mergeDocuments(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  diag: Diagnostics,
): Record<string, unknown> {
  return mergeMaps(resolveMergeTags(base) as RawMap, override, { path: [], diag });
}

/** "Mapping": add missing entries, merge the conflicting ones, honour the tags. */
function mergeMaps(base: RawMap, override: RawMap, at: At): RawMap {
  const out: RawMap = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === RESET) delete out[key];
    else if (!Object.hasOwn(out, key)) setKey(out, key, resolveMergeTags(value));
    else setKey(out, key, mergeValue(out[key], value, { ...at, path: [...at.path, key] }));
  }
  return out;
}

/** Merges one value present in both files, by the rule table or the generic rules. */
function mergeValue(base: unknown, override: unknown, at: At): unknown {
  if (isOverride(override)) return resolveMergeTags(override[OVERRIDE]);
  // A plain null does not clear a value: that is what `!reset` is for.
  if (override === null || override === undefined) return base;
  if (base === null || base === undefined) return resolveMergeTags(override);
  const rule = RULES.find((r) => matches(r.pattern, at.path));
  return rule ? rule.merge(base, override, at) : mergeGeneric(base, override, at);
}

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i]);
}

/** Mappings merge, sequences append ("Sequence"), scalars are replaced. */
function mergeGeneric(base: unknown, override: unknown, at: At): unknown {
  if (isMap(base) && isMap(override)) return mergeMaps(base, override, at);
  if (Array.isArray(base) && Array.isArray(override)) {
    return [...base, ...(resolveMergeTags(override) as unknown[])];
  }
  if (isMap(base) || Array.isArray(base)) {
    const kinds = `${describe(base)} with ${describe(override)}`;
    const path = at.path.reduce<string>(joinPath, '');
    at.diag.error(path, `cannot merge ${kinds} from a later file; use !override`);
  }
  return resolveMergeTags(override);
}

const describe = (value: unknown) =>
  Array.isArray(value) ? 'a list' : isMap(value) ? 'a mapping' : `a ${typeof value}`;

/** "Shell commands": the later file's value replaces, never appends. */
const replace: Merger = (_base, override) => resolveMergeTags(override);

/** Key of a unique-resource entry; undefined keeps the entry (the normaliser reports it). */
type EntryKey = (entry: unknown) => string | undefined;

/** "Unique resources": append, but an entry whose key is taken replaces the earlier one in place. */
function uniqueBy(key: EntryKey, deep = false): Merger {
  return (base, override, at) => {
    const left = asList(base);
    const right = asList(resolveMergeTags(override));
    if (!left || !right) return mergeGeneric(base, override, at);
    const out: unknown[] = [];
    const seen = new Map<string, number>();
    for (const entry of [...left, ...right]) {
      const k = key(entry);
      const index = k === undefined ? undefined : seen.get(k);
      if (index === undefined) {
        if (k !== undefined) seen.set(k, out.length);
        out.push(entry);
      } else {
        const earlier = out[index];
        out[index] = deep && isMap(earlier) && isMap(entry) ? mergeMaps(earlier, entry, at) : entry;
      }
    }
    return out;
  };
}

/** `dns: 8.8.8.8` and `dns: [8.8.8.8]` are the same thing (spec: dns, dns_search, tmpfs, env_file). */
function asList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : undefined;
}

const text = (entry: unknown): string | undefined =>
  typeof entry === 'string' || typeof entry === 'number' ? String(entry) : undefined;

/** `KEY=VAL` and `KEY` are keyed by `KEY`. */
const beforeEquals: EntryKey = (entry) => text(entry)?.split('=')[0];

/** The spec keys ports by {ip, target, published, protocol}; both syntaxes give the same key. */
const portKey: EntryKey = (entry) => {
  if (isMap(entry)) return entry.target === undefined ? undefined : longPortKey(entry);
  const short = text(entry);
  if (short === undefined) return undefined;
  try {
    return parsePortShortSyntax(short).map(longPortKey).join(',');
  } catch {
    return short; // invalid: keyed by its text; the normaliser reports it with its path
  }
};

function longPortKey(
  port: Partial<Record<'host_ip' | 'published' | 'target' | 'protocol', unknown>>,
) {
  const protocol = String(port.protocol ?? 'tcp').toLowerCase();
  return `${port.host_ip ?? ''}|${port.published ?? ''}|${port.target}|${protocol}`;
}

/** Mounts are keyed by the container path: `SOURCE:TARGET[:MODE]`, or `TARGET` alone. */
const volumeKey: EntryKey = (entry) => {
  const parts = isMap(entry) ? [text(entry.target)] : text(entry)?.split(':');
  const target = parts?.[parts.length > 1 ? 1 : 0];
  return target?.replace(/(.)\/+$/, '$1'); // `/data/` and `/data` are one mount point
};

/** Secrets and configs are keyed by their mount path; a relative target lives under `dir`. */
function mountedFileKey(dir: string): EntryKey {
  return (entry) => {
    if (!isMap(entry)) return text(entry) === undefined ? undefined : dir + text(entry);
    const target = text(entry.target) ?? text(entry.source);
    return target === undefined || target.startsWith('/') ? target : dir + target;
  };
}

/** `HOST:CONTAINER[:PERMS]` or a CDI name (`vendor.com/device=gpu`), keyed by the container side. */
const deviceKey: EntryKey = (entry) => {
  if (isMap(entry)) return text(entry.target) ?? text(entry.source);
  const parts = text(entry)?.split(':');
  return parts?.[1] ?? parts?.[0];
};

/** `env_file`/`label_file` entries: a path, or `{ path, required, format }`. */
const fileKey: EntryKey = (entry) => (isMap(entry) ? text(entry.path) : text(entry));

/** `tmpfs: /data:mode=755` is keyed by `/data`. */
const tmpfsKey: EntryKey = (entry) => text(entry)?.split(':')[0];

const subnetKey: EntryKey = (entry) => (isMap(entry) ? text(entry.subnet) : undefined);

/** Both `KEY=VAL` lists, both maps, or one of each (then both become maps: spec "environment"). */
const mergeKeyValues: Merger = (base, override, at) => {
  if (Array.isArray(base) && Array.isArray(override)) return uniqueByKey(base, override, at);
  const left = Array.isArray(base) ? keyValueMap(base) : base;
  const right = Array.isArray(override) ? keyValueMap(override) : override;
  return isMap(left) && isMap(right) ? mergeFlat(left, right) : mergeGeneric(base, override, at);
};
const uniqueByKey = uniqueBy(beforeEquals);

/** Merges maps of plain values: a null (`KEY` without a value) replaces too, `!reset` removes. */
function mergeFlat(base: RawMap, override: RawMap): RawMap {
  const out: RawMap = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === RESET) delete out[key];
    else setKey(out, key, resolveMergeTags(value));
  }
  return out;
}

/** `["A=1", "B"]` → `{ A: "1", B: null }`. */
function keyValueMap(list: unknown[]): RawMap {
  const out: RawMap = {};
  for (const entry of resolveMergeTags(list) as unknown[]) {
    const line = text(entry);
    if (line === undefined) continue;
    const eq = line.indexOf('=');
    setKey(out, eq < 0 ? line : line.slice(0, eq), eq < 0 ? null : line.slice(eq + 1));
  }
  return out;
}

/** Lists of names or maps by name (`networks`, `depends_on`); a list becomes a map of `fill`. */
function namedMap(fill: () => unknown): Merger {
  return (base, override, at) => {
    if (Array.isArray(base) && Array.isArray(override)) return uniqueByText(base, override, at);
    const toMap = (value: unknown) => {
      if (!Array.isArray(value)) return value;
      const names = (resolveMergeTags(value) as unknown[]).map(String);
      return Object.fromEntries(names.map((name) => [name, fill()]));
    };
    return mergeGeneric(toMap(base), toMap(override), at);
  };
}

/**
 * `extra_hosts`, keyed by host name: the later file's addresses for a host replace
 * the earlier ones (a host may map to several addresses within one file).
 */
const mergeExtraHosts: Merger = (base, override, at) => {
  if (Array.isArray(base) && Array.isArray(override)) {
    const right = resolveMergeTags(override) as unknown[];
    const hosts = new Set(right.map(hostName));
    return [...base.filter((entry) => !hosts.has(hostName(entry))), ...right];
  }
  const left = Array.isArray(base) ? hostMap(base) : base;
  const right = Array.isArray(override) ? hostMap(override) : override;
  return isMap(left) && isMap(right) ? mergeFlat(left, right) : mergeGeneric(base, override, at);
};

/** `host=ip`, or the older `host:ip`; a host name never contains `=` or `:`. */
function hostName(entry: unknown): string | undefined {
  return text(entry)?.split(/[=:]/)[0];
}

/** `["a=1.2.3.4", "a=::1"]` → `{ a: ["1.2.3.4", "::1"] }` (spec: extra_hosts long syntax). */
function hostMap(list: unknown[]): RawMap {
  const out: RawMap = {};
  for (const line of (resolveMergeTags(list) as unknown[]).map(text)) {
    const host = hostName(line);
    if (line === undefined || host === undefined) continue;
    const address = line.slice(host.length + 1);
    setKey(out, host, out[host] === undefined ? address : [out[host], address].flat());
  }
  return out;
}

/** `build: ./dir` is `build: { context: ./dir }`. */
const mergeBuild: Merger = (base, override, at) => {
  const asMap = (value: unknown) => (typeof value === 'string' ? { context: value } : value);
  return mergeGeneric(asMap(base), asMap(override), at);
};

/** Options of one logging driver mean nothing to another: a new driver replaces the whole block. */
const mergeLogging: Merger = (base, override, at) => {
  const [from, to] = [isMap(base) && base.driver, isMap(override) && override.driver];
  return from && to && from !== to ? resolveMergeTags(override) : mergeGeneric(base, override, at);
};

/** A ulimit is a number or `{ soft, hard }`; a number on either side replaces. */
const mergeUlimit: Merger = (base, override, at) =>
  isMap(base) && isMap(override) ? mergeMaps(base, override, at) : resolveMergeTags(override);

/** Service sequences where a repeated value is pointless: each value is its own key. */
const SETS = [
  'cap_add cap_drop device_cgroup_rules dns dns_opt dns_search expose external_links group_add',
  'links profiles security_opt build.tags build.platforms networks.*.aliases networks.*.link_local_ips',
].flatMap((line) => line.split(' '));

/** Attributes written as `KEY=VAL` lists or as maps: these service keys, and every resource's labels. */
const KEY_VALUES = [
  ...'environment labels annotations sysctls deploy.labels build.args build.labels build.additional_contexts'
    .split(' ')
    .map((key) => `services.*.${key}`),
  ...['networks', 'volumes', 'configs', 'secrets'].map((kind) => `${kind}.*.labels`),
];

/** The exceptions to the generic rules, by path (`*` matches one key). */
const RULE_TABLE: Array<[string, Merger]> = [
  // "Shell commands"
  ['services.*.command', replace],
  ['services.*.entrypoint', replace],
  ['services.*.healthcheck.test', replace],
  // "Unique resources"
  ['services.*.ports', uniqueBy(portKey)],
  ['services.*.volumes', uniqueBy(volumeKey)],
  ['services.*.secrets', uniqueBy(mountedFileKey('/run/secrets/'))],
  ['services.*.configs', uniqueBy(mountedFileKey('/'))],
  ['services.*.devices', uniqueBy(deviceKey)],
  ['services.*.tmpfs', uniqueBy(tmpfsKey)],
  ['services.*.env_file', uniqueBy(fileKey)],
  ['services.*.label_file', uniqueBy(fileKey)],
  ['networks.*.ipam.config', uniqueBy(subnetKey, true)],
  ...SETS.map((k): [string, Merger] => [`services.*.${k}`, uniqueBy(text)]),
  // Two syntaxes for one thing
  ...KEY_VALUES.map((p): [string, Merger] => [p, mergeKeyValues]),
  ['services.*.extra_hosts', mergeExtraHosts],
  ['services.*.build.extra_hosts', mergeExtraHosts],
  ['services.*.networks', namedMap(() => null)],
  ['services.*.models', namedMap(() => null)],
  ['services.*.depends_on', namedMap(() => ({ condition: 'service_started', required: true }))],
  ['services.*.build', mergeBuild],
  ['services.*.logging', mergeLogging],
  ['services.*.ulimits.*', mergeUlimit],
];

const uniqueByText = uniqueBy(text);
const RULES = RULE_TABLE.map(([pattern, merge]) => ({ pattern: pattern.split('.'), merge }));
