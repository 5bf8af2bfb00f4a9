/**
 * Thunderbird's autoconfig file (issue 14), public like any mail server's: no session, since a
 * mail program asks before anyone signs in. The edge sends `autoconfig.<domain>` here for these
 * two paths only; the file names servers and ports, never an account or a secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { AUTOCONFIG_PATHS } from '../edge/config.js';
import { Errors } from '../errors.js';
import { autoconfigFor, autoconfigXml, requestedDomain } from './autoconfig.js';

const autoconfigRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.foyer;
  for (const path of AUTOCONFIG_PATHS) {
    app.get(
      path,
      {
        config: { public: true },
        schema: {
          hide: true,
          querystring: T.Object({ emailaddress: T.Optional(T.String({ maxLength: 254 })) }),
        },
      },
      async (request, reply) => {
        const domain = requestedDomain(request.hostname, request.query.emailaddress);
        const mail = autoconfigFor(domain, store.installs.list());
        if (!mail) throw new Errors.NotFound(`no mail install serves "${domain}"`);
        return reply
          .type('application/xml; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(autoconfigXml(mail));
      },
    );
  }
};

export default autoconfigRoutes;
