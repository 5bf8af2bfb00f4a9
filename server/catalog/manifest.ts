/**
 * `app.yaml`, the catalogue entry's description of an app (DESIGN.md
 * "Catalogue"). One TypeBox schema gives the TypeScript type and the runtime
 * validator, as the API's route schemas do. Only id, name and version are
 * required for now; the catalogue issue tightens the rest.
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import yaml from 'js-yaml';
import { joinPath, type Problem } from '../../compose/problems.js';
import { suggestKey } from '../../compose/raw.js';
import { parseBytes } from '../../compose/units.js';
import { memberDataProblems } from '../directory/member-data.js';
import { memberSessionsProblems } from '../directory/member-sessions.js';
import { OIDC_SCOPES } from '../oidc/claims.js';
import { normalisePermission } from '../security/permissions.js';
import { SETTING_TYPES } from './setting-rules.js';

/** Where a handed-over certificate appears in a container unless `tls[].target` says otherwise. */
export const TLS_TARGET = '/etc/foyer/tls';

const Opt = T.Optional;
const Strict = { additionalProperties: false } as const;
const Port = T.Integer({ minimum: 1, maximum: 65535 });
/** A byte size as Compose writes it (`512m`, `2GB`) or a number of bytes. */
const Bytes = T.Union([T.String(), T.Integer({ minimum: 0 })]);

export const SettingSchema = T.Object(
  {
    /** The Compose interpolation variable the value is handed to. */
    key: T.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    type: T.Union(SETTING_TYPES.map((type) => T.Literal(type))),
    label: Opt(T.String()),
    description: Opt(T.String()),
    required: Opt(T.Boolean()),
    default: Opt(T.Union([T.String(), T.Number(), T.Boolean()])),
    /** A regular expression the whole value must match. */
    pattern: Opt(T.String()),
    min: Opt(T.Number()),
    max: Opt(T.Number()),
    choices: Opt(T.Array(T.String(), { minItems: 1 })),
    /** Generated once per install and stored apart from settings; never shown again. */
    secret: Opt(
      T.Object(
        { generate: T.Literal(true), length: Opt(T.Integer({ minimum: 16, maximum: 256 })) },
        Strict,
      ),
    ),
  },
  Strict,
);
export type Setting = Static<typeof SettingSchema>;

export const AppManifestSchema = T.Object(
  {
    /** Also the catalogue folder's name and the default install id, hence the install id's shape. */
    id: T.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' }),
    name: T.String({ minLength: 1 }),
    version: T.String({ minLength: 1 }),
    /**
     * Foyer's own infrastructure (DESIGN.md "Core services": the edge, the directory): Foyer
     * installs it itself under the app's id; the store does not list it and it cannot be
     * installed or uninstalled through the API.
     */
    core: Opt(T.Boolean()),
    summary: Opt(T.String()),
    description: Opt(T.String()),
    categories: Opt(T.Array(T.String())),
    /** A file in the app's folder, such as `icon.svg`. */
    icon: Opt(T.String()),
    website: Opt(T.String()),
    source: Opt(T.String()),
    license: Opt(T.String()),
    /** Debian/Docker architecture names: amd64, arm64, armhf, … */
    architectures: Opt(T.Array(T.String({ pattern: '^[a-z0-9]+$' }))),
    requirements: Opt(T.Object({ memory: Opt(Bytes), disk: Opt(Bytes) }, Strict)),
    /**
     * The web entry: the service and container port the edge proxies `https://<install>.<domain>/`
     * to (issue 13). `auth: true`: only a signed-in Foyer admin gets through (the edge asks the
     * daemon first). `auth: members-basic`: the entry takes HTTP Basic credentials of the members
     * allowed to use the install (a DAV server's clients), checked by the daemon for the edge
     * (issue 14; needs `accounts: directory`).
     */
    web: Opt(
      T.Object(
        {
          service: T.String(),
          port: Port,
          auth: Opt(T.Union([T.Literal(true), T.Literal(false), T.Literal('members-basic')])),
        },
        Strict,
      ),
    ),
    ports: Opt(
      T.Array(
        T.Object(
          {
            port: Port,
            protocol: Opt(T.Union([T.Literal('tcp'), T.Literal('udp')])),
            service: Opt(T.String()),
            description: Opt(T.String()),
          },
          Strict,
        ),
      ),
    ),
    settings: Opt(T.Array(SettingSchema)),
    /**
     * Where the app's people sign in (issue 14): `directory`, the members allowed to use the
     * install, checked against Foyer's LDAP directory (server/directory/app-accounts.ts). Its
     * services join the directory's network and get the FOYER_LDAP_* variables.
     */
    accounts: Opt(T.Literal('directory')),
    /**
     * Where each member's own data lives, for an app with `accounts: directory` (issue 14): a
     * path in one of the service's volumes with the `{name}` placeholder (`members/{name}`),
     * optionally `{setting:KEY}` placeholders and one whole `*` segment, and with `encoding`
     * how the values are written in file names (`plain` by default, or `prosody`). Removing a
     * member with their data deletes these (server/directory/member-data.ts).
     */
    memberData: Opt(
      T.Array(
        T.Object(
          {
            service: T.String({ minLength: 1 }),
            volume: T.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' }),
            path: T.String({ minLength: 1 }),
            encoding: Opt(T.Union([T.Literal('plain'), T.Literal('prosody')])),
          },
          Strict,
        ),
        { minItems: 1 },
      ),
    ),
    /**
     * How to close one member's open sessions, for an app with `accounts: directory` (issue
     * 14): a command (argv, no shell) run in the service's running container with `{name}`
     * and `{setting:KEY}` filled in, when a member is disabled, removed or given a new
     * password; `exitCodes` are those meaning done (default [0])
     * (server/directory/member-sessions.ts).
     */
    memberSessions: Opt(
      T.Array(
        T.Object(
          {
            service: T.String({ minLength: 1 }),
            command: T.Array(T.String({ minLength: 1 }), { minItems: 1, maxItems: 32 }),
            exitCodes: Opt(
              T.Array(T.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 16 }),
            ),
          },
          Strict,
        ),
        { minItems: 1 },
      ),
    ),
    /** Host powers the compose file needs (server/security/permissions.ts). */
    permissions: Opt(T.Array(T.String())),
    notes: Opt(T.String()),
    /**
     * How a backup gets a consistent copy (issue 15): by default the app's services are stopped
     * for the seconds the snapshot takes; with `command`, that command runs in `service` first
     * (an SQLite `.backup` or `pg_dump` into a volume) and the app keeps running.
     */
    backup: Opt(
      T.Object(
        {
          service: T.String(),
          command: T.Array(T.String(), { minItems: 1 }),
          /** Seconds the command may take (default 300). */
          timeout: Opt(T.Integer({ minimum: 1, maximum: 3600 })),
        },
        Strict,
      ),
    ),
    /**
     * Certificates the edge hands over (issue 13): for each name, the edge's certificate and key
     * are copied into the install's data and bind-mounted read-only at `target` (default
     * /etc/foyer/tls) in `services`; when the certificate changes (renewal), `reload` runs in
     * each running service's container. server/edge/certificates.ts.
     */
    tls: Opt(
      T.Array(
        T.Object(
          {
            /** A host name; interpolated like compose.yaml (settings and FOYER_DOMAIN). */
            name: T.String({ minLength: 1 }),
            services: T.Array(T.String({ minLength: 1 }), { minItems: 1 }),
            /** The folder in the containers holding fullchain.pem and privkey.pem. */
            target: Opt(T.String({ pattern: '^/' })),
            /** A group id that may read the key (mode 0640), for a daemon that is not root. */
            keyGroup: Opt(T.Integer({ minimum: 0, maximum: 4294967294 })),
            /** Per service, the command that makes it load the new files. */
            reload: Opt(T.Record(T.String(), T.Array(T.String(), { minItems: 1 }))),
          },
          Strict,
        ),
        { minItems: 1 },
      ),
    ),
    /**
     * Single sign-on through Foyer's OpenID Connect provider (issue 14, server/oidc/): the
     * install gets a client whose id is the install id and whose secret is generated once; the
     * app reads FOYER_OIDC_ISSUER, FOYER_OIDC_CLIENT_ID and FOYER_OIDC_CLIENT_SECRET.
     */
    oidc: Opt(
      T.Object(
        {
          /** Paths the app receives the code at (`/auth/callback`), on each of its web addresses. */
          redirectPaths: T.Array(T.String({ pattern: '^/[^?#\\s]*$' }), { minItems: 1 }),
          /** Scopes the app may ask for (openid always); all of them when left out. */
          scopes: Opt(T.Array(T.Union(OIDC_SCOPES.map((s) => T.Literal(s))), { minItems: 1 })),
          /**
           * Origins the app serves itself at besides its web entry (`https://${DOMAIN}`),
           * interpolated like compose.yaml.
           */
          origins: Opt(T.Array(T.String({ minLength: 1 }))),
        },
        Strict,
      ),
    ),
    /** How an update of this app is judged and made safe (issue 15). */
    update: Opt(
      T.Object(
        {
          /** Seconds every service has to become healthy (or run) after an update; default 120. */
          healthTimeout: Opt(T.Integer({ minimum: 5, maximum: 3600 })),
          /** Its volumes may be copied while it runs (default: its services stop for the copy). */
          liveSnapshot: Opt(T.Boolean()),
        },
        Strict,
      ),
    ),
  },
  Strict,
);
export type AppManifest = Static<typeof AppManifestSchema>;

/** Parses app.yaml text; every problem is path-qualified (`app.yaml: settings[2].type`). */
export function parseManifest(
  content: string,
  file = 'app.yaml',
): { manifest?: AppManifest; problems: Problem[] } {
  let doc: unknown;
  try {
    // The core schema, as for Compose files: `yes` and `on` stay strings (YAML 1.2).
    doc = yaml.load(content, { schema: yaml.CORE_SCHEMA, filename: file });
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    const at = error.mark ? `${file}:${error.mark.line + 1}:${error.mark.column + 1}` : file;
    return { problems: [{ path: at, message: error.reason || error.message }] };
  }
  const problems = validateManifest(doc).map(({ path, message }) => ({
    path: path ? `${file}: ${path}` : file,
    message,
  }));
  return problems.length > 0 ? { problems } : { manifest: doc as AppManifest, problems };
}

/** Every problem of a parsed manifest, with paths inside the document (`settings[2].type`). */
export function validateManifest(doc: unknown): Problem[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [{ path: '', message: 'must be a mapping of fields' }];
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(AppManifestSchema, doc)) {
    const path = pointerToPath(error.path);
    // TypeBox reports a missing field twice (required, then wrong type): keep the first.
    if (seen.has(path)) continue;
    seen.add(path);
    problems.push({ path, message: describeError(error) });
  }
  if (problems.length > 0) return byFieldOrder(problems);
  return checkMeaning(doc as AppManifest);
}

const FIELDS = Object.keys(AppManifestSchema.properties);

/** TypeBox lists missing fields first; an author reads best in the schema's field order. */
function byFieldOrder(problems: Problem[]): Problem[] {
  const rank = (problem: Problem) => {
    const index = FIELDS.indexOf(problem.path.split(/[.[]/)[0] ?? '');
    return index === -1 ? FIELDS.length : index;
  };
  return problems.sort((a, b) => rank(a) - rank(b));
}

/** `/settings/2/type` → `settings[2].type`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<string>((path, part) => joinPath(path, /^\d+$/.test(part) ? Number(part) : part), '');
}

/** A schema error in words for an app author. */
function describeError(error: ValueError): string {
  const schema = error.schema;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = error.path.split('/').at(-1) ?? '';
      const hint = suggestKey(key, Object.keys(schema.properties ?? {}));
      return `is not a known field${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    case ValueErrorType.Union:
      return `must be ${alternatives(schema.anyOf as TSchema[])}`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}`;
    case ValueErrorType.StringPattern:
      return `must match ${schema.pattern}`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.String:
      // `version: 1.0` is a number in YAML; say how to keep it text.
      return typeof error.value === 'number'
        ? `must be a string (quote it: "${error.value}")`
        : 'must be a string';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${schema.minimum}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${schema.maximum}`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${schema.minItems} item(s)`;
    default:
      return `must be ${article(String(schema.type ?? 'valid'))}`;
  }
}

function alternatives(options: TSchema[]): string {
  if (options.every((o) => o.const !== undefined)) {
    return `one of ${options.map((o) => String(o.const)).join(', ')}`;
  }
  return options.map((o) => article(String(o.type))).join(' or ');
}

function article(type: string): string {
  const word = type === 'object' ? 'mapping' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** What the schema cannot say: unique keys, defaults that fit their type, known permissions. */
function checkMeaning(manifest: AppManifest): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const keys = new Map<string, number>();
  (manifest.settings ?? []).forEach((setting, i) => {
    const at = (field: string) => joinPath(joinPath('settings', i), field);
    const first = keys.get(setting.key);
    if (first !== undefined) problem(at('key'), `"${setting.key}" is already settings[${first}]`);
    else keys.set(setting.key, i);
    // Foyer's own interpolation variables (FOYER_INSTALL, FOYER_APP_DATA, …) must not be shadowed.
    if (setting.key.startsWith('FOYER_')) problem(at('key'), 'FOYER_ names are reserved for Foyer');
    checkSetting(setting, at, problem);
  });
  for (const field of ['memory', 'disk'] as const) {
    const value = manifest.requirements?.[field];
    if (typeof value !== 'string') continue;
    try {
      parseBytes(value);
    } catch {
      problem(`requirements.${field}`, 'must be a byte size such as 512m or 2g');
    }
  }
  checkTls(manifest, problem);
  checkOidc(manifest, problem);
  // The members a Basic check lets in are those the directory lets use the install.
  if (manifest.web?.auth === 'members-basic' && manifest.accounts !== 'directory') {
    problem('web.auth', 'members-basic needs `accounts: directory`');
  }
  if (manifest.memberData && manifest.accounts !== 'directory') {
    problem('memberData', 'only an app with "accounts: directory" has members');
  }
  for (const p of memberDataProblems(manifest.memberData ?? [], manifest.settings ?? [])) {
    problem(p.path, p.message);
  }
  if (manifest.memberSessions && manifest.accounts !== 'directory') {
    problem('memberSessions', 'only an app with "accounts: directory" has members');
  }
  for (const p of memberSessionsProblems(manifest.memberSessions ?? [], manifest.settings ?? [])) {
    problem(p.path, p.message);
  }
  (manifest.permissions ?? []).forEach((permission, i) => {
    if (normalisePermission(permission) === undefined) {
      problem(joinPath('permissions', i), `"${permission}" is not a known permission`);
    }
  });
  return problems;
}

/** Each redirect path and scope once. */
function checkOidc(manifest: AppManifest, problem: (path: string, message: string) => void): void {
  const oidc = manifest.oidc;
  if (!oidc) return;
  for (const field of ['redirectPaths', 'scopes'] as const) {
    (oidc[field] ?? []).forEach((value: string, i: number, all: string[]) => {
      if (all.indexOf(value) !== i) {
        problem(joinPath(joinPath('oidc', field), i), `"${value}" is listed twice`);
      }
    });
  }
}

/** Each service once per entry, reload only for its services, one entry per service and folder. */
function checkTls(manifest: AppManifest, problem: (path: string, message: string) => void): void {
  const folders = new Map<string, string>();
  (manifest.tls ?? []).forEach((entry, i) => {
    const at = (...parts: (string | number)[]) =>
      parts.reduce<string>(joinPath, joinPath('tls', i));
    entry.services.forEach((service, j) => {
      if (entry.services.indexOf(service) !== j) {
        problem(at('services', j), `"${service}" is listed twice`);
        return;
      }
      const folder = `${service} ${entry.target ?? TLS_TARGET}`;
      const first = folders.get(folder);
      if (first !== undefined) {
        problem(at('target'), `${service} already gets a certificate there from ${first}`);
      } else folders.set(folder, joinPath('tls', i));
    });
    for (const service of Object.keys(entry.reload ?? {})) {
      if (!entry.services.includes(service)) {
        problem(at('reload', service), "is not one of this entry's services");
      }
    }
  });
}

function checkSetting(
  setting: Setting,
  at: (field: string) => string,
  problem: (path: string, message: string) => void,
): void {
  if (setting.type === 'choice' && !setting.choices)
    problem(at('choices'), 'required for a choice');
  if (setting.pattern !== undefined) {
    try {
      new RegExp(setting.pattern, 'u');
    } catch {
      problem(at('pattern'), 'is not a valid regular expression');
    }
  }
  if (setting.min !== undefined && setting.max !== undefined && setting.min > setting.max) {
    problem(at('max'), `must not be below min (${setting.min})`);
  }
  if (setting.secret && setting.type !== 'password' && setting.type !== 'string') {
    problem(at('secret'), 'only a string or password setting can be generated');
  }
  if (setting.secret && setting.default !== undefined) {
    problem(at('default'), 'a generated secret cannot have a default');
  }
  const value = setting.default;
  if (value === undefined) return;
  const expected =
    setting.type === 'number' ? 'number' : setting.type === 'boolean' ? 'boolean' : 'string';
  if (typeof value !== expected) problem(at('default'), `must be ${article(expected)}`);
  else if (setting.choices && !setting.choices.includes(String(value))) {
    problem(at('default'), `must be one of ${setting.choices.join(', ')}`);
  }
}
