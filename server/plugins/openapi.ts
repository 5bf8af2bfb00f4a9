/**
 * The OpenAPI document at `/api/openapi.json`, generated from the routes'
 * TypeBox schemas: validation, types and documentation from one source.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MEMBER } from '../auth/roles.js';

export default fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Foyer', version: '0.1.0', description: 'The API of the Foyer daemon.' },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'foyer_session' },
            token: { type: 'http', scheme: 'bearer' },
          },
        },
        security: [{ session: [] }, { token: [] }],
      },
    });
    app.get('/api/openapi.json', { config: MEMBER, schema: { hide: true } }, async () =>
      app.swagger(),
    );
  },
  { name: 'openapi' },
);
