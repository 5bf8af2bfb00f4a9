/**
 * Closing a member's sessions in the apps (issue 14): the `memberSessions` field of app.yaml
 * (path-qualified problems), the commands made of a member's name and the install's settings
 * (a value that could break out of a quoted argument refused), the run through the engine's
 * exec (running service only, exit codes, timeout, failures kept apart), the audit after the
 * directory settled, and the catalogue's mail and chat declaring theirs. The real closing of
 * IMAP and XMPP sessions is in test/catalog/{mail,chat}.docker.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseManifest, validateManifest } from '../../server/catalog/manifest.js';
import {
  closeMemberSessions,
  closeSessionsAfterSettle,
  memberSessionsInstalls,
  type SessionCloseTarget,
  sessionCloseTargets,
} from '../../server/directory/member-sessions.js';
import type { ContainerSummary } from '../../server/docker/adapter.js';
import type { Install } from '../../server/store/index.js';

const BASE = {
  id: 'chat',
  name: 'Chat',
  version: '1',
  accounts: 'directory',
  settings: [
    { key: 'DOMAIN', type: 'domain', label: 'Domain', required: true },
    { key: 'OPTIONAL', type: 'string', label: 'Optional' },
    { key: 'PASS', type: 'password', label: 'Password', required: true },
  ],
};
const problemsOf = (memberSessions: unknown, extra: Record<string, unknown> = {}) =>
  validateManifest({ ...BASE, ...extra, memberSessions }).map((p) => `${p.path}: ${p.message}`);

describe('memberSessions in app.yaml', () => {
  test('a good declaration passes; each bad one is a path-qualified problem', () => {
    assert.deepEqual(
      problemsOf([
        {
          service: 'prosody',
          command: ['prosodyctl', 'shell', "c2s:close('{name}@{setting:DOMAIN}')"],
        },
        { service: 'dovecot', command: ['doveadm', 'kick', '{name}'], exitCodes: [0, 68] },
      ]),
      [],
    );
    const bad: [unknown, RegExp][] = [
      [
        [{ service: 's', command: ['kick', 'everyone'] }],
        /memberSessions\[0\]\.command: an argument must hold \{name\}/,
      ],
      [
        [{ service: 's', command: ['kick', '{user}', '{name}'] }],
        /memberSessions\[0\]\.command\[1\]: may hold no placeholder/,
      ],
      [
        [{ service: 's', command: ['kick', '{name}@{setting:NOPE}'] }],
        /command\[1\]: \{setting:NOPE\} names no setting/,
      ],
      [
        [{ service: 's', command: ['kick', '{name}', '{setting:PASS}'] }],
        /command\[2\]: \{setting:PASS\} is a secret/,
      ],
      [
        [{ service: 's', command: ['kick', '{name}', '{setting:OPTIONAL}'] }],
        /command\[2\]: .*required or have a default/,
      ],
      [
        [{ service: 's', command: ['{name}'] }],
        /memberSessions\[0\]\.command\[0\]: the program must be named/,
      ],
      [[{ service: 's', command: [] }], /memberSessions\/0\/command|memberSessions\[0\]\.command/],
      [[{ service: 's', command: ['kick', '{name}'], exitCodes: [256] }], /exitCodes/],
      [[{ service: 's', command: ['kick', '{name}'], shell: true }], /shell/],
    ];
    for (const [entries, expected] of bad) {
      const problems = problemsOf(entries);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${JSON.stringify(entries)}: ${problems.join('; ')}`,
      );
    }
    assert.deepEqual(
      problemsOf([{ service: 's', command: ['kick', '{name}'] }], { accounts: undefined }),
      ['memberSessions: only an app with "accounts: directory" has members'],
    );
  });

  test("the catalogue's mail and chat declare theirs; calendar (plain HTTP) none", () => {
    const read = (app: string) => {
      const { manifest, problems } = parseManifest(
        readFileSync(new URL(`../../catalog/${app}/app.yaml`, import.meta.url), 'utf8'),
      );
      assert.deepEqual(problems, []);
      return manifest!;
    };
    assert.deepEqual(read('mail').memberSessions, [
      { service: 'dovecot', command: ['doveadm', 'kick', '{name}'], exitCodes: [0, 68] },
    ]);
    assert.deepEqual(read('chat').memberSessions, [
      {
        service: 'prosody',
        command: [
          'prosodyctl',
          'shell',
          "c2s:close(('{name}@{setting:DOMAIN}'):lower(), 'Signed out by the server', 'not-authorized')",
        ],
      },
    ]);
    assert.equal(read('calendar').memberSessions, undefined);
  });
});

const chatManifest = {
  ...BASE,
  memberSessions: [
    {
      service: 'prosody',
      command: ['prosodyctl', 'shell', "c2s:close('{name}@{setting:DOMAIN}')"],
    },
  ],
};
const mailManifest = {
  ...BASE,
  id: 'mail',
  settings: [],
  memberSessions: [
    { service: 'dovecot', command: ['doveadm', 'kick', '{name}'], exitCodes: [0, 68] },
  ],
};
const install = (id: string, definition: string, settings: Record<string, string> = {}) =>
  ({ id, definition, settings }) as unknown as Install;
const pins = {
  of: (i: Install) => {
    const manifest = { ch: chatManifest, m: mailManifest, w: { id: 'w', name: 'W', version: '1' } }[
      i.definition ?? ''
    ];
    return manifest ? ({ manifest } as never) : undefined;
  },
};

describe('the commands for a member', () => {
  test("made from the installs that declare them, with the install's settings", () => {
    const installs = memberSessionsInstalls(
      [
        install('talk', 'ch', { DOMAIN: 'chat.example.org' }),
        install('mail', 'm'),
        install('blog', 'w'),
      ],
      pins,
    );
    assert.deepEqual(
      installs.map((i) => i.id),
      ['talk', 'mail'],
    );
    assert.deepEqual(sessionCloseTargets(installs, 'jo.ann'), [
      {
        install: 'talk',
        service: 'prosody',
        command: ['prosodyctl', 'shell', "c2s:close('jo.ann@chat.example.org')"],
        exitCodes: [0],
      },
      {
        install: 'mail',
        service: 'dovecot',
        command: ['doveadm', 'kick', 'jo.ann'],
        exitCodes: [0, 68],
      },
    ]);
    assert.deepEqual(sessionCloseTargets([], 'Not A Name'), []);
  });

  test('a name or a value that could break out of its argument is refused', () => {
    const installs = memberSessionsInstalls(
      [install('talk', 'ch', { DOMAIN: "x');os.exit('" })],
      pins,
    );
    assert.throws(() => sessionCloseTargets(installs, 'ann'), /DOMAIN's value .* could leave/);
    const good = memberSessionsInstalls(
      [install('talk', 'ch', { DOMAIN: 'chat.example.org' })],
      pins,
    );
    for (const name of ["ann'", 'ann bob', '../ann', 'Ann']) {
      assert.throws(() => sessionCloseTargets(good, name), /not a member name/, name);
    }
  });
});

/** An engine with the given containers, recording each exec and answering as `answer` says. */
function fakeDocker(
  containers: Partial<ContainerSummary>[],
  answer: (
    command: string[],
    signal?: AbortSignal,
  ) => Promise<{ exitCode: number; output: string }>,
) {
  const execs: { container: string; command: string[] }[] = [];
  return {
    execs,
    docker: {
      async listContainers(labels: string[]) {
        const [, install] = labels[0]!.split('=');
        return containers.filter(
          (c) => c.labels?.['foyer.install'] === install,
        ) as ContainerSummary[];
      },
      async exec(container: string, command: string[], options?: { signal?: AbortSignal }) {
        execs.push({ container, command });
        return answer(command, options?.signal);
      },
    },
  };
}
const container = (id: string, install: string, service: string, state = 'running') => ({
  id,
  labels: { 'foyer.install': install, 'com.docker.compose.service': service },
  state: state as ContainerSummary['state'],
});
const target = (
  install: string,
  service: string,
  command: string[],
  exitCodes = [0],
): SessionCloseTarget => ({
  install,
  service,
  command,
  exitCodes,
});

describe('closing', () => {
  test("runs in the service's running container; declared exit codes are done, others fail", async () => {
    const { docker, execs } = fakeDocker(
      [
        container('c-mail', 'mail', 'dovecot'),
        container('c-post', 'mail', 'postfix'),
        container('c-talk', 'talk', 'prosody'),
        container('c-off', 'off', 'prosody', 'exited'),
      ],
      async (command) =>
        command[0] === 'doveadm'
          ? { exitCode: 68, output: 'no users kicked\n' }
          : { exitCode: 1, output: 'line 1\n! Error: no such thing\n' },
    );
    const outcome = await closeMemberSessions(docker, [
      target('mail', 'dovecot', ['doveadm', 'kick', 'ann'], [0, 68]),
      target('talk', 'prosody', ['prosodyctl', 'shell', 'x']),
      target('off', 'prosody', ['prosodyctl', 'shell', 'x']),
    ]);
    assert.deepEqual(execs.map((e) => `${e.container} ${e.command.join(' ')}`).sort(), [
      'c-mail doveadm kick ann',
      'c-talk prosodyctl shell x',
    ]);
    assert.deepEqual(
      outcome.closed.map((t) => t.install),
      ['mail'],
    );
    assert.deepEqual(
      outcome.skipped.map((t) => t.install),
      ['off'],
    );
    assert.equal(outcome.failed.length, 1);
    assert.match(
      outcome.failed[0]!.error,
      /^prosodyctl exited with 1: line 1; ! Error: no such thing$/,
    );
  });

  test('a command that hangs fails after the timeout; the others still finish', async () => {
    const { docker } = fakeDocker(
      [container('a', 'a', 's'), container('b', 'b', 's')],
      (command, signal) =>
        command[0] === 'hang'
          ? new Promise((_, reject) => {
              // AbortSignal.timeout's timer does not hold the process open; this one does.
              const alive = setTimeout(() => {}, 5000);
              signal?.addEventListener('abort', () => {
                clearTimeout(alive);
                reject(signal.reason as Error);
              });
            })
          : Promise.resolve({ exitCode: 0, output: '' }),
    );
    const started = Date.now();
    const outcome = await closeMemberSessions(
      docker,
      [target('a', 's', ['hang', 'ann']), target('b', 's', ['ok', 'ann'])],
      300,
    );
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(
      outcome.closed.map((t) => t.install),
      ['b'],
    );
    assert.deepEqual(
      outcome.failed.map((f) => `${f.install}: ${f.error}`),
      ['a: took longer than 0.3 s'],
    );
  });

  test('after the directory settled; audited by install and service, failures logged', async () => {
    const order: string[] = [];
    const audits: unknown[] = [];
    const warnings: unknown[] = [];
    const { docker } = fakeDocker(
      [container('c-talk', 'talk', 'prosody'), container('c-mail', 'mail', 'dovecot')],
      async (command) => {
        order.push(`exec ${command[0]}`);
        return command[0] === 'doveadm'
          ? { exitCode: 0, output: '' }
          : { exitCode: 2, output: 'nope' };
      },
    );
    const outcome = await closeSessionsAfterSettle(
      {
        docker,
        store: {
          installs: {
            list: () => [install('talk', 'ch', { DOMAIN: 'c.example.org' }), install('mail', 'm')],
          },
        },
        pins,
        audit: { record: (...args: unknown[]) => audits.push(args) },
        log: { info: () => {}, warn: (...args: unknown[]) => warnings.push(args) },
        settled: async () => {
          order.push('settled');
        },
      },
      'admin',
      'ann',
      'disabled',
    );
    assert.equal(order[0], 'settled');
    assert.equal(outcome?.closed.length, 1);
    assert.deepEqual(audits, [
      [
        'admin',
        'member.sessions.closed',
        'ann',
        { reason: 'disabled', closed: ['mail:dovecot'], failed: ['talk:prosody'] },
      ],
    ]);
    assert.equal(warnings.length, 1);
    assert.match(JSON.stringify(warnings[0]), /talk:prosody.*prosodyctl exited with 2: nope/);
  });
});
