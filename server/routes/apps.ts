/** The catalogue: list, detail (settings form, permissions in plain words), icon. */
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MEMBER } from '../auth/roles.js';
import type { CatalogEntry } from '../catalog/catalog.js';
import { Errors } from '../errors.js';
import { describePermission } from '../security/permissions.js';
import { IdParams } from './schemas.js';

const AppSummary = T.Object({
  id: T.String(),
  name: T.String(),
  version: T.String(),
  summary: T.Optional(T.String()),
  categories: T.Array(T.String()),
  requirements: T.Object({ memory: T.Optional(T.String()), disk: T.Optional(T.String()) }),
  permissions: T.Array(T.Object({ permission: T.String(), description: T.String() })),
  hasIcon: T.Boolean(),
});

const AppDetail = T.Composite([
  AppSummary,
  T.Object({
    description: T.Optional(T.String()),
    website: T.Optional(T.String()),
    source: T.Optional(T.String()),
    license: T.Optional(T.String()),
    notes: T.Optional(T.String()),
    architectures: T.Array(T.String()),
    web: T.Optional(T.Object({ service: T.String(), port: T.Integer() })),
    /** `directory`: its people are the members allowed to use the install (issue 14). */
    accounts: T.Optional(T.Literal('directory')),
    settings: T.Array(T.Record(T.String(), T.Unknown())),
  }),
]);

function summary(entry: CatalogEntry) {
  const m = entry.manifest;
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    summary: m.summary,
    categories: m.categories ?? [],
    requirements: {
      memory: m.requirements?.memory?.toString(),
      disk: m.requirements?.disk?.toString(),
    },
    permissions: (m.permissions ?? []).map((p) => ({
      permission: p,
      description: describePermission(p),
    })),
    hasIcon: m.icon !== undefined,
  };
}

export default async function appsRoutes(app: FastifyInstance) {
  const find = (id: string) => {
    const entry = app.foyer.catalog.get(id);
    if (!entry) throw new Errors.AppNotFound(id);
    return entry;
  };

  app.get(
    '/api/apps',
    {
      config: MEMBER,
      schema: { summary: 'The catalogue', response: { 200: T.Array(AppSummary) } },
    },
    async () =>
      app.foyer.catalog
        .list()
        .filter((entry) => entry.manifest.core !== true)
        .map(summary),
  );

  app.get(
    '/api/apps/:id',
    {
      config: MEMBER,
      schema: {
        summary: 'One app of the catalogue',
        params: IdParams,
        response: { 200: AppDetail },
      },
    },
    async (request) => {
      const entry = find((request.params as { id: string }).id);
      const m = entry.manifest;
      return {
        ...summary(entry),
        description: m.description,
        website: m.website,
        source: m.source,
        license: m.license,
        notes: m.notes,
        architectures: m.architectures ?? [],
        web: m.web,
        accounts: m.accounts,
        // Secret settings are generated: the form shows that they exist, never a value.
        settings: (m.settings ?? []).map((s) => ({
          ...s,
          default: s.type === 'password' ? undefined : s.default,
        })),
      };
    },
  );

  // Reading the catalogue again changes no install: they render from their pinned copies and
  // only learn that an update is available (issue 17).
  app.post(
    '/api/apps/reload',
    {
      schema: {
        summary: 'Read the catalogue folders again',
        response: {
          200: T.Object({
            apps: T.Integer(),
            problems: T.Array(T.Object({ path: T.String(), message: T.String() })),
          }),
        },
      },
    },
    async (request) => {
      app.foyer.catalog.reload();
      const result = {
        apps: app.foyer.catalog.list().length,
        problems: app.foyer.catalog.problems(),
      };
      app.foyer.audit.record(request.actor?.username ?? 'unknown', 'catalog.reload', undefined, {
        apps: result.apps,
        problems: result.problems.length,
      });
      return result;
    },
  );

  app.get(
    '/api/apps/:id/icon',
    { config: MEMBER, schema: { summary: "The app's icon (SVG)", params: IdParams } },
    async (request, reply) => {
      const entry = find((request.params as { id: string }).id);
      const icon = entry.manifest.icon;
      const path = icon && resolve(entry.dir, icon);
      // The icon must stay inside the app's folder, whatever app.yaml says.
      if (!path?.startsWith(`${resolve(entry.dir)}${sep}`))
        throw new Errors.NotFound('this app has no icon');
      let body: Buffer;
      try {
        body = readFileSync(join(path));
      } catch {
        throw new Errors.NotFound('this app has no icon');
      }
      return reply
        .type(path.endsWith('.svg') ? 'image/svg+xml' : 'application/octet-stream')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(body);
    },
  );
}
