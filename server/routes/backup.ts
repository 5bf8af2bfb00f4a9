/**
 * Backups (issue 15), admins only (the default role): targets (adding one returns the recovery
 * kit, once), runs, snapshots, verification, restore and the nightly schedule. Long work is a
 * job (`backup`, `restore`, `verify`) whose progress comes on `/api/events`.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/plugin.js';
import { TargetInputError } from '../backup/repository.js';
import { ResticError } from '../backup/restic.js';
import { type BackupSchedule, scheduleProblems } from '../backup/schedule.js';
import { Conflict, NotFound } from '../backup/service.js';
import { StateConflict, stageState } from '../backup/state-restore.js';
import { addTarget, sshPublicKey, TargetError } from '../backup/targets.js';
import { Errors } from '../errors.js';
import { Schedule, SnapshotReply, TargetReply } from './backup-schemas.js';
import { withProblems } from './install-checks.js';
import { JobReply } from './schemas.js';

const Name = T.String({ maxLength: 64 });

const JobOnly = T.Object({ job: JobReply });

/** Maps the backup service's errors to the API's catalogue. */
function apiError(error: unknown): Error {
  if (error instanceof TargetInputError)
    return withProblems(new Errors.BadRequest(error.message), [
      { path: error.path, message: error.message.slice(error.path.length + 2) },
    ]);
  if (error instanceof NotFound) return new Errors.NotFound(error.message);
  if (error instanceof Conflict || error instanceof StateConflict)
    return new Errors.Conflict(error.message);
  if (error instanceof TargetError || error instanceof ResticError)
    return new Errors.BadRequest(error.message);
  return error as Error;
}

const guard = async <T>(work: () => Promise<T> | T): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw apiError(error);
  }
};

export default async function backupRoutes(app: FastifyInstance) {
  const { dataDir } = app.foyer;
  const service = () => app.foyer.backup;
  const who = (request: FastifyRequest) => ({
    actor: request.actor?.username ?? 'unknown',
    address: request.actor?.kind === 'local' ? 'local socket' : clientAddress(request),
  });

  app.get(
    '/api/backup/targets',
    {
      schema: {
        summary: 'Backup targets (their passwords are never shown again)',
        response: { 200: T.Array(TargetReply) },
      },
    },
    async () =>
      app.foyer.backups.targets().map((t) => {
        const reach = service().targetReach(t.name);
        return {
          ...t,
          kind: t.repository.startsWith('/') ? 'local' : t.repository.split(':')[0]!,
          reachable: reach?.reachable ?? null,
          unreachableReason: reach?.error ?? null,
        };
      }),
  );

  app.post(
    '/api/backup/targets',
    {
      schema: {
        summary:
          'Add a target: a fresh restic repository with a generated password (the recovery kit is in this answer only), or an existing one with its password',
        body: T.Object(
          {
            name: Name,
            repository: T.String({ maxLength: 1024 }),
            password: T.Optional(T.String({ minLength: 1, maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: T.Object({
            target: TargetReply,
            recoveryKit: T.Optional(T.String()),
            publicKey: T.Optional(T.String()),
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; repository: string; password?: string };
      const added = await guard(() => addTarget({ dataDir, store: app.foyer.backups }, body));
      app.foyer.audit.record(who(request).actor, 'backup.target.add', added.target.name, {
        repository: added.target.repository,
        address: who(request).address,
        generatedPassword: added.recoveryKit !== undefined,
      });
      const kind = added.target.repository.startsWith('/')
        ? 'local'
        : added.target.repository.split(':')[0]!;
      return reply.status(201).send({ ...added, target: { ...added.target, kind } });
    },
  );

  app.get(
    '/api/backup/ssh-key',
    {
      schema: {
        summary: "Foyer's SSH public key for SFTP targets (made on first use)",
        response: { 200: T.Object({ publicKey: T.String() }) },
      },
    },
    async () => ({ publicKey: await sshPublicKey(dataDir) }),
  );

  app.post(
    '/api/backup/runs',
    {
      schema: {
        summary: 'Back up one install, or every install and Foyer’s state (a job)',
        body: T.Union([
          T.Object(
            { install: T.Optional(Name), target: T.Optional(Name) },
            { additionalProperties: false },
          ),
          T.Null(),
        ]),
        response: { 202: JobOnly },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as { install?: string; target?: string };
      const job = await guard(() => service().run(body, who(request)));
      return reply.status(202).send({ job });
    },
  );

  app.get(
    '/api/backup/snapshots',
    {
      schema: {
        summary: 'Snapshots on every target, newest first, with size and verification',
        querystring: T.Object({ install: T.Optional(Name) }, { additionalProperties: false }),
        response: { 200: T.Array(SnapshotReply) },
      },
    },
    async (request) =>
      guard(() => service().snapshots((request.query as { install?: string }).install)),
  );

  app.post(
    '/api/backup/verify',
    {
      schema: {
        summary: "Check the repository and restore an install's newest snapshot to scratch (a job)",
        body: T.Object({ install: Name }, { additionalProperties: false }),
        response: { 202: JobOnly },
      },
    },
    async (request, reply) => {
      const { install } = request.body as { install: string };
      const job = await guard(() => service().verify(install, who(request)));
      return reply.status(202).send({ job });
    },
  );

  app.post(
    '/api/backup/restore',
    {
      schema: {
        summary:
          'Restore an install in place (its current state snapshotted first) or as a new install (a job)',
        body: T.Object(
          {
            install: Name,
            snapshot: T.Optional(T.String({ pattern: '^[0-9a-f]{4,64}$' })),
            as: T.Optional(Name),
          },
          { additionalProperties: false },
        ),
        response: { 202: JobOnly },
      },
    },
    async (request, reply) => {
      const body = request.body as { install: string; snapshot?: string; as?: string };
      const job = await guard(async () => {
        if (body.as !== undefined)
          (await import('../backup/repository.js')).checkName(body.as, 'as');
        return service().restore(body, who(request));
      });
      return reply.status(202).send({ job });
    },
  );

  app.post(
    '/api/backup/restore-state',
    {
      schema: {
        summary:
          "Onto a new box: stage Foyer's own state from a target's newest (or given) state snapshot, then restart on it (refused while this box has installs, unless force)",
        body: T.Union([
          T.Object(
            {
              snapshot: T.Optional(T.String({ pattern: '^[0-9a-f]{4,64}$' })),
              force: T.Optional(T.Boolean()),
            },
            { additionalProperties: false },
          ),
          T.Null(),
        ]),
        response: {
          200: T.Object({
            snapshot: T.String(),
            target: T.String(),
            time: T.String(),
            installs: T.Array(T.String()),
            targets: T.Array(T.String()),
            users: T.Integer(),
            restarting: T.Boolean(),
          }),
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as { snapshot?: string; force?: boolean };
      const staged = await guard(() => stageState(service().context, body));
      app.foyer.audit.record(who(request).actor, 'backup.restore-state', undefined, {
        snapshot: staged.snapshot,
        target: staged.target,
        force: body.force === true,
        address: who(request).address,
      });
      const restart = app.foyer.restart;
      // Restarted once this answer is out: the daemon stops serving, the state goes in place
      // before the store opens again (serve.ts). Without `foyer serve`, the next start does it.
      if (restart) reply.raw.once('finish', () => setImmediate(restart));
      return reply.send({ ...staged, restarting: restart !== undefined });
    },
  );

  app.get(
    '/api/backup/schedule',
    { schema: { summary: 'The nightly backup window and retention', response: { 200: Schedule } } },
    async () => app.foyer.backups.schedule(),
  );

  app.put(
    '/api/backup/schedule',
    {
      schema: {
        summary: 'Change the nightly backup window and retention',
        body: Schedule,
        response: { 200: Schedule },
      },
    },
    async (request) => {
      const schedule: BackupSchedule = {
        ...app.foyer.backups.schedule(),
        ...(request.body as Partial<BackupSchedule>),
      };
      const problems = scheduleProblems(schedule);
      if (problems.length > 0)
        throw withProblems(
          new Errors.BadRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; ')),
          problems,
        );
      app.foyer.backups.setSchedule(schedule);
      app.foyer.audit.record(who(request).actor, 'backup.schedule', undefined, { ...schedule });
      return schedule;
    },
  );
}
