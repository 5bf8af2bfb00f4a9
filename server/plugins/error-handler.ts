/**
 * The one error handler: known errors answer with their code, status and
 * message; validation errors name the offending path and what is allowed
 * there (validation-messages.ts); anything else is a 500
 * whose details stay in the log (with the request's id, method and URL),
 * never in the answer.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { problemsOf } from './validation-messages.js';

interface ErrorBody {
  code: string;
  message: string;
  statusCode: number;
  problems?: { path: string; message: string }[];
}

export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(
      (error: FastifyError & { problems?: ErrorBody['problems'] }, request, reply) => {
        if (error.validation) {
          const problems = problemsOf(error.validation, error.validationContext ?? 'body');
          const body: ErrorBody = {
            code: 'FOYER_BAD_REQUEST',
            statusCode: 400,
            message: problems.map((p) => `${p.path}: ${p.message}`).join('; '),
            problems,
          };
          return reply.status(400).send(body);
        }
        const status = error.statusCode ?? 500;
        if (status >= 500 && !error.code?.startsWith('FOYER_')) {
          request.log.error(
            { err: error, method: request.method, url: request.url },
            'request failed',
          );
          return reply
            .status(500)
            .send({ code: 'FOYER_INTERNAL', statusCode: 500, message: 'internal error' });
        }
        const code = error.code?.startsWith('FOYER_')
          ? error.code
          : status === 413
            ? 'FOYER_BODY_TOO_LARGE'
            : 'FOYER_BAD_REQUEST';
        const body: ErrorBody = { code, statusCode: status, message: error.message };
        if (error.problems) body.problems = error.problems;
        return reply.status(status).send(body);
      },
    );
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({
        code: 'FOYER_NOT_FOUND',
        statusCode: 404,
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      }),
    );
  },
  { name: 'error-handler' },
);
