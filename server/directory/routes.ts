/**
 * The directory's API (issue 14), admins only (the default role): members,
 * groups, which groups may use an install, and the one public route a
 * member's one-time link leads to. Every change is audited by name and
 * never with a password, then handed to the directory sync so it reaches
 * LDAP within a second.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { LoginGuard, type LoginLimits } from '../auth/login-guard.js';
import { accountOf, actorOf, clientAddress } from '../auth/plugin.js';
import { MEMBER } from '../auth/roles.js';
import { NewPassword, NoContent, Role } from '../auth/schemas.js';
import { Errors } from '../errors.js';
import { parseImport } from './csv.js';
import {
  type MemberDataOutcome,
  type MemberDataTarget,
  memberDataInstalls,
  memberDataTargets,
} from './member-data.js';
import { closeSessionsLater } from './member-sessions.js';
import { type MemberRepository, membersRepository } from './members.js';
import { pendingDataRepository, targetOf } from './pending-data.js';
import { memberServices } from './services.js';
import { setPasswordPage } from './set-password-page.js';

/** The directory as the routes need it: the store's members and a nudge for the sync. */
export interface DirectoryAccess {
  members: MemberRepository;
  /** The directory changed: make slapd (and, the first time, the directory service) follow. */
  changed(): void;
  /** An account changed outside these routes (a password, a user removed): sync if slapd runs. */
  refresh(): void;
  /** Resolves once the changes made so far have reached slapd (or it could not be reached). */
  settled(): Promise<void>;
}

const Name = T.String({ minLength: 1, maxLength: 64 });
const MemberReply = T.Object({
  name: T.String(),
  displayName: T.String(),
  email: T.Union([T.String(), T.Null()]),
  role: Role,
  state: T.Union([T.Literal('active'), T.Literal('disabled')]),
  directoryPassword: T.Boolean(),
  groups: T.Array(T.String()),
  createdAt: T.String(),
  updatedAt: T.String(),
});
const GroupReply = T.Object({
  name: T.String(),
  members: T.Array(T.String()),
  installs: T.Array(T.String()),
});
const NameParams = T.Object({ name: Name });
const Strict = { additionalProperties: false } as const;
const ServiceReply = T.Object({
  install: T.String(),
  app: T.String(),
  kind: T.Union([T.Literal('mail'), T.Literal('chat'), T.Literal('calendar'), T.Literal('other')]),
  fields: T.Array(T.Object({ key: T.String(), value: T.String() })),
  scan: T.Optional(T.String()),
  autoconfig: T.Optional(T.Boolean()),
});
const Place = T.Object({ install: T.String(), volume: T.String(), path: T.String() });
const RemovedReply = T.Object({
  name: T.String(),
  data: T.Union([T.Literal('keep'), T.Literal('delete')]),
  /** The places of the member's data deleted (or already empty). */
  deleted: T.Array(Place),
  /**
   * The places that could not be deleted yet, with why: the member is removed all the same, and
   * the daemon retries them (GET /api/members/pending-data).
   */
  failed: T.Array(T.Object({ ...Place.properties, error: T.String() })),
});
const Link = T.Object({ name: T.String(), link: T.String(), token: T.String() });

export interface DirectoryRoutesOptions {
  loginLimits?: Partial<LoginLimits>;
}

/** The path of a set-password link; the page there posts to /api/members/set-password. */
export const SET_PASSWORD_PATH = '/set-password';

const directoryRoutes: FastifyPluginAsyncTypebox<DirectoryRoutesOptions> = async (app, options) => {
  const { audit, store, pins, edge } = app.foyer;
  const directory: DirectoryAccess = app.foyer.directory ?? {
    members: membersRepository(store.db),
    changed: () => {},
    refresh: () => {},
    settled: async () => {},
  };
  const { members } = directory;
  const pendingData = pendingDataRepository(store.db);
  const memberData = app.foyer.memberData!;
  const guard = new LoginGuard({ audit, limits: options.loginLimits });
  const linkOf = (request: { protocol: string; host: string }, token: string) =>
    `${request.protocol}://${request.host}${SET_PASSWORD_PATH}#${token}`;

  app.get(
    '/api/members',
    {
      schema: {
        summary: 'Every member (admins only)',
        response: { 200: T.Object({ members: T.Array(MemberReply) }) },
      },
    },
    async () => ({ members: members.list() }),
  );

  app.post(
    '/api/members',
    {
      schema: {
        summary:
          'Add a member; without a password the answer holds a one-time set-password link (admins only)',
        body: T.Object(
          {
            name: Name,
            email: T.String({ minLength: 1, maxLength: 254 }),
            displayName: T.Optional(T.String({ maxLength: 200 })),
            role: T.Optional(Role),
            password: T.Optional(NewPassword),
            groups: T.Optional(T.Array(Name, { maxItems: 100 })),
          },
          Strict,
        ),
        response: {
          201: T.Object({ member: MemberReply, link: T.Optional(T.String()) }),
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const member = await members.add(request.body);
      const token =
        request.body.password === undefined ? members.createLink(member.name) : undefined;
      audit.record(actor.username, 'member.created', member.name, {
        role: member.role,
        groups: member.groups,
      });
      directory.changed();
      return reply.code(201).send({ member, ...(token ? { link: linkOf(request, token) } : {}) });
    },
  );

  app.patch(
    '/api/members/:name',
    {
      schema: {
        summary:
          "Change a member's display name, email or groups (the whole list); all or nothing (admins only)",
        params: NameParams,
        body: T.Object(
          {
            displayName: T.Optional(T.String({ maxLength: 200 })),
            email: T.Optional(T.String({ minLength: 1, maxLength: 254 })),
            groups: T.Optional(T.Array(Name, { maxItems: 100 })),
          },
          Strict,
        ),
        response: { 200: T.Object({ member: MemberReply }) },
      },
    },
    async (request) => {
      const member = members.update(request.params.name, request.body);
      audit.record(actorOf(request).username, 'member.changed', member.name, {
        fields: Object.keys(request.body).sort(),
      });
      directory.changed();
      return { member };
    },
  );

  app.get(
    '/api/account/services',
    {
      config: MEMBER,
      schema: {
        summary:
          'The signed-in member and the services their groups may use, with the settings to type into mail, chat and calendar programs',
        response: { 200: T.Object({ member: MemberReply, services: T.Array(ServiceReply) }) },
      },
    },
    async (request) => {
      const { username } = accountOf(request);
      const member = members.get(username);
      if (!member) throw new Errors.NotFound(`no member "${username}"`);
      const byInstall = new Map<string, string[]>();
      for (const g of members.listGroups()) {
        for (const i of g.installs) byInstall.set(i, [...(byInstall.get(i) ?? []), g.name]);
      }
      const installs = store.installs.list();
      // With a domain, the box's name is the domain, and installs with a web entry are served
      // by the edge at https://<install>.<domain>/ (calendar's CalDAV URL among them).
      const domain = edge?.domains.get()?.domain;
      const webUrls = new Map<string, string>();
      if (edge) {
        for (const install of installs) {
          const url = pins.of(install)?.manifest.web ? edge.url(install.id) : undefined;
          if (url) webUrls.set(install.id, url);
        }
      }
      const services = memberServices(member.name, member.groups, installs, byInstall, {
        host: domain ?? request.hostname,
        webUrls,
        autoconfig: domain !== undefined,
      });
      return { member, services };
    },
  );

  app.put(
    '/api/members/:name/password',
    {
      schema: {
        summary: "Set a member's password, for Foyer and the directory at once (admins only)",
        params: NameParams,
        body: T.Object({ password: NewPassword }, Strict),
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await members.setPassword(request.params.name, request.body.password);
      audit.record(actorOf(request).username, 'member.password', request.params.name);
      directory.changed();
      // Whoever signed in with the old password is signed out of mail and chat too.
      closeSessionsLater(
        app.foyer,
        request.log,
        actorOf(request).username,
        request.params.name,
        'password',
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/members/:name/link',
    {
      schema: {
        summary: 'A new one-time set-password link for the member (admins only)',
        params: NameParams,
        response: { 201: Link },
      },
    },
    async (request, reply) => {
      const token = members.createLink(request.params.name);
      audit.record(actorOf(request).username, 'member.link', request.params.name);
      return reply
        .code(201)
        .send({ name: request.params.name, link: linkOf(request, token), token });
    },
  );

  for (const [verb, state] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    app.post(
      `/api/members/:name/${verb}`,
      {
        schema: {
          summary:
            verb === 'disable'
              ? 'Disable a member: refused by every service, signed out of Foyer (admins only)'
              : 'Enable a disabled member again (admins only)',
          params: NameParams,
          response: { 200: T.Object({ member: MemberReply }) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        if (state === 'disabled' && actor.username === request.params.name) {
          throw new Errors.Conflict('you cannot disable your own account');
        }
        const member = members.setState(request.params.name, state);
        audit.record(actor.username, `member.${verb}d`, member.name);
        directory.changed();
        if (state === 'disabled') {
          closeSessionsLater(app.foyer, request.log, actor.username, member.name, 'disabled');
        }
        return { member };
      },
    );
  }

  app.delete(
    '/api/members/:name',
    {
      schema: {
        summary:
          'Remove a member with their sessions, tokens and links; `data=delete` also deletes their data in every app that declares it (mail, chat, calendars), `keep` (the default) leaves it (admins only)',
        params: NameParams,
        querystring: T.Object(
          { data: T.Optional(T.Union([T.Literal('keep'), T.Literal('delete')])) },
          Strict,
        ),
        response: { 200: RemovedReply },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { name } = request.params;
      const data = request.query.data ?? 'keep';
      const member = members.get(name);
      if (!member) throw new Errors.NotFound(`no member "${name}"`);
      if (actor.username === name) throw new Errors.Conflict('you cannot remove your own account');
      const admins = members.list().filter((m) => m.role === 'admin');
      if (member.role === 'admin' && admins.length === 1) {
        throw new Errors.Conflict('you cannot remove the last admin');
      }
      // The places are worked out first: a name no path can be made of changes nothing.
      const targets =
        data === 'delete'
          ? memberDataTargets(memberDataInstalls(store.installs.list(), pins), name)
          : [];
      // The places to delete are stored with the removal (pending-data.ts): one that fails now
      // is retried by the daemon, and the name stays taken until it is done.
      store.db.transaction(() => {
        members.remove(name);
        pendingData.add(name, targets);
      })();
      directory.changed();
      closeSessionsLater(app.foyer, request.log, actor.username, name, 'removed');
      let outcome: MemberDataOutcome = { deleted: [], failed: [] };
      if (data === 'delete') {
        // Gone from LDAP first, so no login writes new mail or events while they are deleted.
        await directory.settled();
        const pass = await memberData.run({ member: name });
        outcome = {
          deleted: pass.deleted.map(targetOf),
          failed: pass.failed.map((p) => ({ ...targetOf(p), error: p.lastError ?? '' })),
        };
      }
      const place = (t: MemberDataTarget) => ({
        install: t.install,
        volume: t.volume,
        path: t.path,
      });
      const reply = {
        name,
        data,
        deleted: outcome.deleted.map(place),
        failed: outcome.failed.map((f) => ({ ...place(f), error: f.error })),
      };
      audit.record(actor.username, 'member.removed', name, {
        data: data === 'delete' ? 'deleted' : 'kept',
        ...(data === 'delete'
          ? {
              deleted: reply.deleted.map((p) => `${p.install}:${p.path}`),
              failed: reply.failed.map((p) => `${p.install}:${p.path}`),
            }
          : {}),
      });
      if (reply.failed.length > 0) {
        request.log.warn({ member: name, failed: reply.failed }, 'member data not all deleted');
      }
      return reply;
    },
  );

  app.post(
    '/api/members/import',
    {
      schema: {
        summary:
          'Import members from CSV text (name,email,display_name,groups; groups separated by ";"): all or nothing (admins only)',
        body: T.Object(
          {
            csv: T.String({ maxLength: 4 * 1024 * 1024 }),
            file: T.Optional(T.String({ maxLength: 200 })),
          },
          Strict,
        ),
        response: { 201: T.Object({ links: T.Array(Link) }) },
      },
      bodyLimit: 5 * 1024 * 1024,
    },
    async (request, reply) => {
      const file = request.body.file ?? 'members.csv';
      const parsed = parseImport(request.body.csv, file);
      if (parsed.problems.length > 0) throw new Errors.BadRequest(parsed.problems.join('\n'));
      const made = members.importRows(parsed.rows, file);
      audit.record(actorOf(request).username, 'member.imported', file, { count: made.length });
      directory.changed();
      return reply.code(201).send({
        links: made.map(({ name, token }) => ({ name, token, link: linkOf(request, token) })),
      });
    },
  );

  app.post(
    '/api/members/set-password',
    {
      config: { public: true },
      schema: {
        summary: "Set one's password with a one-time link's token (no sign-in needed)",
        body: T.Object(
          { token: T.String({ minLength: 1, maxLength: 200 }), password: NewPassword },
          Strict,
        ),
        response: { 200: T.Object({ name: T.String() }) },
      },
    },
    async (request, reply) => {
      const address = clientAddress(request);
      const admission = await guard.admit(address, undefined);
      if ('retryAfter' in admission) {
        reply.header('retry-after', String(admission.retryAfter));
        throw new Errors.TooManyRequests(
          `too many failed attempts; try again in ${admission.retryAfter} seconds`,
        );
      }
      const member = await members.useLink(request.body.token, request.body.password);
      if (!member) {
        audit.record('anonymous', 'member.link.failed', undefined, { address });
        throw new Errors.NotFound('this link is unknown, used or expired; ask for a new one');
      }
      admission.forgive();
      audit.record(member.name, 'member.password.set', member.name, { address });
      directory.changed();
      closeSessionsLater(app.foyer, request.log, member.name, member.name, 'password');
      return { name: member.name };
    },
  );

  setPasswordPage(app, SET_PASSWORD_PATH);

  app.get(
    '/api/groups',
    {
      schema: {
        summary: 'Every group with its members and installs (admins only)',
        response: { 200: T.Object({ groups: T.Array(GroupReply) }) },
      },
    },
    async () => ({ groups: members.listGroups() }),
  );

  app.post(
    '/api/groups',
    {
      schema: {
        summary: 'Add a group (admins only)',
        body: T.Object({ name: Name }, Strict),
        response: { 201: T.Object({ group: GroupReply }) },
      },
    },
    async (request, reply) => {
      const group = members.addGroup(request.body.name);
      audit.record(actorOf(request).username, 'group.created', group.name);
      directory.changed();
      return reply.code(201).send({ group });
    },
  );

  app.get(
    '/api/installs/:id/access',
    {
      schema: {
        summary: 'The groups that may use an install (admins only)',
        params: T.Object({ id: T.String() }),
        response: { 200: T.Object({ groups: T.Array(T.String()) }) },
      },
    },
    async (request) => ({ groups: members.access(request.params.id) }),
  );

  for (const [method, verb] of [
    ['PUT', 'grant'],
    ['DELETE', 'revoke'],
  ] as const) {
    app.route({
      method,
      url: '/api/installs/:id/access/:group',
      schema: {
        summary:
          verb === 'grant'
            ? "Let a group's members use an install (admins only)"
            : "Stop a group's members using an install (admins only)",
        params: T.Object({ id: T.String(), group: Name }),
        response: { 200: T.Object({ groups: T.Array(T.String()) }) },
      },
      handler: async (request) => {
        const { id, group } = request.params;
        members[verb](id, group);
        audit.record(actorOf(request).username, `access.${verb}ed`, id, { group });
        directory.changed();
        return { groups: members.access(id) };
      },
    });
  }
};

export default directoryRoutes;
