// Validation errors say what is allowed (issue 11 §5): the real schemas, validated by Fastify's
// ajv with the daemon's options, answered by the daemon's error handler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type as T } from '@sinclair/typebox';
import Fastify from 'fastify';
import { Role } from '../../server/auth/schemas.js';
import errorHandler from '../../server/plugins/error-handler.js';
import { problemsOf } from '../../server/plugins/validation-messages.js';
import { SettingsBody } from '../../server/routes/schemas.js';

async function appWith(body: ReturnType<typeof T.Object>) {
  const app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });
  await app.register(errorHandler);
  app.post('/', { schema: { body } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

async function refused(body: ReturnType<typeof T.Object>, payload: object) {
  const app = await appWith(body);
  try {
    const response = await app.inject({ method: 'POST', url: '/', payload });
    assert.equal(response.statusCode, 400, response.body);
    return response.json() as { message: string; problems: { path: string; message: string }[] };
  } finally {
    await app.close();
  }
}

test('a choice of words names the words allowed', async () => {
  const reply = await refused(T.Object({ role: Role }), { role: 'boss' });
  assert.equal(reply.message, 'body.role: must be one of: admin, member');
  assert.deepEqual(reply.problems, [
    { path: 'body.role', message: 'must be one of: admin, member' },
  ]);
});

test('a choice of words given a number still names the words', async () => {
  const reply = await refused(T.Object({ role: Role }), { role: 7 });
  assert.equal(reply.message, 'body.role: must be one of: admin, member');
});

test('a setting over its length limit names the limit once', async () => {
  const reply = await refused(T.Object({ settings: SettingsBody }), {
    settings: { GREETING: 'x'.repeat(5000) },
  });
  assert.equal(reply.message, 'body.settings.GREETING: must be at most 4096 characters long');
});

test('a setting of no allowed type names the types', async () => {
  const reply = await refused(T.Object({ settings: SettingsBody }), {
    settings: { GREETING: { nested: true } },
  });
  assert.equal(reply.message, 'body.settings.GREETING: must be a string, a number or a boolean');
});

test('a missing field and an unknown one are named by their own paths', async () => {
  const schema = T.Object({ name: T.String({ minLength: 1 }) }, { additionalProperties: false });
  const reply = await refused(schema, { nmae: 'x' });
  assert.deepEqual(reply.problems, [
    { path: 'body.name', message: 'is required' },
    { path: 'body.nmae', message: 'is not a known field' },
  ]);
});

test('ajv internals never reach the message', () => {
  const problems = problemsOf(
    [
      {
        keyword: 'const',
        instancePath: '/kind',
        schemaPath: '#/properties/kind/anyOf/0/const',
        params: { allowedValue: 'a' },
        message: 'must be equal to constant',
      },
      {
        keyword: 'enum',
        instancePath: '/kind',
        schemaPath: '#/properties/kind/anyOf/1/enum',
        params: { allowedValues: ['b', 'c'] },
        message: 'must be equal to one of the allowed values',
      },
      {
        keyword: 'anyOf',
        instancePath: '/kind',
        schemaPath: '#/properties/kind/anyOf',
        params: {},
        message: 'must match a schema in anyOf',
      },
    ],
    'query',
  );
  assert.deepEqual(problems, [{ path: 'query.kind', message: 'must be one of: a, b, c' }]);
});
