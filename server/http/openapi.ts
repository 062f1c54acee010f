import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { projectRoot } from '../paths.ts';
import { StoreUnavailableError } from '../store/connection.ts';

// The HTTP API's description, made from the routes' own zod schemas: the schemas validate every
// request (a bad one is a 400 naming the field) and every answer (one that does not match its
// schema is logged and becomes a 500: the document never promises what the server does not send),
// and the same schemas become GET /api/openapi.json.
// Only the API is described; the course site's files are not.

const SERVER_FAILURE = 'the server could not answer this request; the failure is in its log';

const described = (url: string) => url.startsWith('/api/') || url === '/metrics';

/**
 * A 204 has no body, which OpenAPI 3.0 says by a response without content; the zod transform
 * turns `z.null()` into a nullable JSON body instead, so the document would promise JSON.
 */
function withoutBody204<T extends { schema?: { response?: unknown } }>(transformed: T): T {
  // Routes without a schema (the document itself) have none to adjust.
  const response = transformed.schema?.response as Record<string, unknown> | undefined;
  if (!response?.['204']) return transformed;
  return { ...transformed, schema: { ...transformed.schema, response: { ...response, 204: { type: 'null', description: 'no content' } } } };
}

/** Registers validation by route schema, the error answers and the document; call before any route. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'cnlab', description: "The lab server's API: learner sessions, labs and grading, progress, workshops.", version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: (input) => (described(input.url) ? withoutBody204(jsonSchemaTransform(input)) : { schema: { ...input.schema, hide: true }, url: input.url }),
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const [issue] = error.validation;
      const field = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') || error.validationContext || 'the request';
      return reply.code(400).send({ error: `${field}: ${issue?.message ?? 'is not valid'}` });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, url: request.url, issues: error.cause.issues }, 'an answer does not match its route\'s schema');
      return reply.code(500).send({ error: SERVER_FAILURE });
    }
    const status = error.statusCode ?? 500;
    // The client's mistake (a body too large, malformed JSON) is said in words; ours is logged.
    if (status < 500) return reply.code(status).send({ error: error.message });
    // The database is down for a moment: said in words, and the client may simply try again.
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: error, url: request.url }, 'the progress database did not answer');
      return reply.code(503).header('retry-after', '5').send({ error: error.message });
    }
    request.log.error({ err: error, url: request.url }, 'a request failed');
    return reply.code(500).send({ error: SERVER_FAILURE });
  });
  app.get('/api/openapi.json', async () => app.swagger());
}
