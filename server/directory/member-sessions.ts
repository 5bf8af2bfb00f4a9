/**
 * Closing a member's open sessions in the apps (issue 14: "disabling the member locks every
 * door at once"). slapd refuses a disabled, removed or re-passworded member at their next
 * login, but a connection already open would stay open: an IMAP client in IDLE keeps reading
 * new mail, an XMPP client stays signed in. An app declares how to close one member's sessions
 * (app.yaml `memberSessions`: a service and a command with the `{name}` placeholder, and
 * optionally `{setting:KEY}`, filled in as memberData's paths are), such as mail's
 * `doveadm kick {name}` and chat's Prosody admin shell `c2s:close(...)`.
 *
 * Foyer runs each command with the engine's exec in the service's running container, as an
 * argv array (no shell), once the change has reached slapd, so a client that reconnects at
 * once is refused. A stopped install holds no session and is skipped. A failure is logged and
 * audited, never failing the admin's request: the member is refused at the next login anyway.
 */
import type { FastifyBaseLogger } from 'fastify';
import { joinPath, type Problem } from '../../compose/problems.js';
import type { PinnedDefinitions } from '../catalog/pins.js';
import type { DockerAdapter } from '../docker/adapter.js';
import type { AuditLog } from '../store/audit.js';
import type { Install } from '../store/index.js';
import {
  fillPlaceholders,
  type MemberDataSetting,
  NAME_PLACEHOLDER,
  settingKeys,
  settingPlaceholderProblem,
  settingValues,
  strayBraces,
} from './member-data.js';
import { isValidName } from './names.js';

/** One declared way to close a member's sessions (app.yaml `memberSessions[]`). */
export interface MemberSessionsEntry {
  service: string;
  /** The argv run in the service's container; `{name}` and `{setting:KEY}` filled in. */
  command: string[];
  /** The exit codes that mean done (default [0]), such as doveadm's 68: nobody signed in. */
  exitCodes?: number[];
}

/** How long one command may run before it counts as failed (ms). */
export const SESSION_CLOSE_TIMEOUT_MS = 10_000;

/** Each entry's command checked against the app's `settings`; paths are `memberSessions[i].…`. */
export function memberSessionsProblems(
  entries: MemberSessionsEntry[],
  settings: readonly MemberDataSetting[] = [],
): Problem[] {
  const problems: Problem[] = [];
  entries.forEach((entry, i) => {
    const at = (field: string | number, index?: number) => {
      const path = joinPath(joinPath('memberSessions', i), field);
      return index === undefined ? path : joinPath(path, index);
    };
    if (!entry.command.some((arg) => arg.includes(NAME_PLACEHOLDER))) {
      problems.push({ path: at('command'), message: `an argument must hold ${NAME_PLACEHOLDER}` });
    }
    entry.command.forEach((arg, j) => {
      if (strayBraces(arg)) {
        problems.push({
          path: at('command', j),
          message: `may hold no placeholder but ${NAME_PLACEHOLDER} and {setting:KEY}`,
        });
        return;
      }
      for (const key of settingKeys(arg)) {
        const why = settingPlaceholderProblem(key, settings);
        if (why) problems.push({ path: at('command', j), message: why });
      }
    });
    if (entry.command[0]?.includes('{')) {
      problems.push({ path: at('command', 0), message: 'the program must be named as it is' });
    }
  });
  return problems;
}

/** An install whose app declares how to close sessions, with its settings' values. */
export interface MemberSessionsInstall {
  id: string;
  memberSessions: MemberSessionsEntry[];
  settings: Record<string, string>;
}

/** The installs whose pinned app.yaml declares `memberSessions`. */
export function memberSessionsInstalls(
  installs: Install[],
  pins: Pick<PinnedDefinitions, 'of'>,
): MemberSessionsInstall[] {
  return installs.flatMap((install) => {
    const manifest = pins.of(install)?.manifest;
    if (manifest?.accounts !== 'directory' || !manifest.memberSessions) return [];
    return [
      {
        id: install.id,
        memberSessions: manifest.memberSessions,
        settings: settingValues(install, manifest),
      },
    ];
  });
}

/** One command to run: in an install's service, with the values filled in. */
export interface SessionCloseTarget {
  install: string;
  service: string;
  command: string[];
  exitCodes: number[];
}

/**
 * The commands closing `name`'s sessions in the given installs. Member names are checked when
 * they are made (names.ts); this refuses again a name or a setting value that is not made of
 * plain characters (it may stand inside a quoted argument, as in chat's Lua line).
 */
export function sessionCloseTargets(
  installs: MemberSessionsInstall[],
  name: string,
): SessionCloseTarget[] {
  if (installs.length === 0) return [];
  if (!isValidName(name)) throw new Error(`"${name}" is not a member name a command can hold`);
  return installs.flatMap((install) =>
    install.memberSessions.map((entry) => ({
      install: install.id,
      service: entry.service,
      command: entry.command.map((arg) =>
        fillPlaceholders(
          arg,
          name,
          { settings: install.settings },
          `memberSessions command of ${install.id}`,
        ),
      ),
      exitCodes: entry.exitCodes ?? [0],
    })),
  );
}

/** What closing did: the commands that ran to a good end, skipped (not running) or failed. */
export interface SessionCloseOutcome {
  closed: SessionCloseTarget[];
  /** Services not running: no session can be open there. */
  skipped: SessionCloseTarget[];
  failed: (SessionCloseTarget & { error: string })[];
}

/** Runs every target at once, each bounded by `timeoutMs`; a failure never stops the others. */
export async function closeMemberSessions(
  docker: Pick<DockerAdapter, 'exec' | 'listContainers'>,
  targets: SessionCloseTarget[],
  timeoutMs = SESSION_CLOSE_TIMEOUT_MS,
): Promise<SessionCloseOutcome> {
  const outcome: SessionCloseOutcome = { closed: [], skipped: [], failed: [] };
  await Promise.all(
    targets.map(async (target) => {
      try {
        const containers = await docker.listContainers([`foyer.install=${target.install}`]);
        const running = containers.find(
          (c) => c.state === 'running' && c.labels['com.docker.compose.service'] === target.service,
        );
        if (!running) {
          outcome.skipped.push(target);
          return;
        }
        const { exitCode, output } = await docker.exec(running.id, target.command, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (target.exitCodes.includes(exitCode)) outcome.closed.push(target);
        else {
          const said = output.trim().split('\n').slice(-3).join('; ').slice(-300);
          outcome.failed.push({
            ...target,
            error: `${target.command[0]} exited with ${exitCode}: ${said || 'no output'}`,
          });
        }
      } catch (error) {
        const message =
          (error as Error).name === 'TimeoutError'
            ? `took longer than ${timeoutMs / 1000} s`
            : (error as Error).message;
        outcome.failed.push({ ...target, error: message });
      }
    }),
  );
  return outcome;
}

/**
 * Why a member's sessions are closed (the audit's `reason`). Each makes a credential a client may
 * hold open stop working: the member, their password, an app password (a lost laptop's mail
 * client in IDLE), or the main password at doors that cannot ask for a code (two-step on).
 */
export type SessionCloseReason =
  | 'disabled'
  | 'removed'
  | 'password'
  | 'app-password-revoked'
  | 'two-step-on';

export interface SessionCloserDeps {
  docker: Pick<DockerAdapter, 'exec' | 'listContainers'>;
  store: { installs: { list(): Install[] } };
  pins: Pick<PinnedDefinitions, 'of'>;
  audit: Pick<AuditLog, 'record'>;
  log: Pick<FastifyBaseLogger, 'warn' | 'info'>;
  /** Resolves once the directory's changes so far have reached slapd. */
  settled(): Promise<void>;
  timeoutMs?: number;
}

/**
 * Closes `name`'s sessions in every install that declares how, once the change has reached
 * slapd; not awaited by the request (an admin's reply never waits on a slow app), bounded by
 * the commands' timeout. Audited as `member.sessions.closed` by install and service, with the
 * failures (and logged); the resolved outcome is for tests.
 */
export function closeSessionsAfterSettle(
  deps: SessionCloserDeps,
  actor: string,
  name: string,
  reason: SessionCloseReason,
): Promise<SessionCloseOutcome | undefined> {
  let targets: SessionCloseTarget[];
  try {
    targets = sessionCloseTargets(
      memberSessionsInstalls(deps.store.installs.list(), deps.pins),
      name,
    );
  } catch (error) {
    deps.log.warn({ member: name, err: (error as Error).message }, 'member sessions not closed');
    return Promise.resolve(undefined);
  }
  if (targets.length === 0) return Promise.resolve(undefined);
  const started = Date.now();
  return deps
    .settled()
    .then(() => closeMemberSessions(deps.docker, targets, deps.timeoutMs))
    .then((outcome) => {
      const where = (t: SessionCloseTarget) => `${t.install}:${t.service}`;
      deps.audit.record(actor, 'member.sessions.closed', name, {
        reason,
        closed: outcome.closed.map(where),
        ...(outcome.failed.length > 0 ? { failed: outcome.failed.map(where) } : {}),
      });
      const ms = Date.now() - started;
      if (outcome.failed.length > 0) {
        deps.log.warn(
          {
            member: name,
            reason,
            ms,
            failed: outcome.failed.map((f) => ({ at: where(f), error: f.error })),
          },
          "member's sessions not all closed; they are refused at their next login",
        );
      } else {
        deps.log.info(
          { member: name, reason, ms, closed: outcome.closed.map(where) },
          'member sessions closed',
        );
      }
      return outcome;
    })
    .catch((error: unknown) => {
      deps.log.warn({ member: name, err: (error as Error).message }, 'member sessions not closed');
      return undefined;
    });
}

/** The daemon's parts closing sessions needs (app.foyer). */
export interface SessionCloserServices {
  docker: SessionCloserDeps['docker'];
  store: SessionCloserDeps['store'];
  pins: SessionCloserDeps['pins'];
  audit: SessionCloserDeps['audit'];
  directory?: { settled(): Promise<void> };
}

/** closeSessionsAfterSettle with the daemon's parts, not awaited (see there). */
export function closeSessionsLater(
  foyer: SessionCloserServices,
  log: SessionCloserDeps['log'],
  actor: string,
  name: string,
  reason: SessionCloseReason,
): void {
  const { docker, store, pins, audit, directory } = foyer;
  const settled = () => directory?.settled() ?? Promise.resolve();
  void closeSessionsAfterSettle({ docker, store, pins, audit, log, settled }, actor, name, reason);
}
