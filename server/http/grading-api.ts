import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KubeConfig } from '@kubernetes/client-node';
import { CnlabError } from '../errors.ts';
import { GRADE_EXIT, gradeNamespace, LabError } from '../labs/grade.ts';
import type { Lab } from '../labs/load.ts';
import { gradeJson } from '../labs/report.ts';
import { errorAnswer, gradeDocument } from './answers.ts';
import { bearerMatches } from './bearer.ts';

// Automated grading over HTTP, for course providers' scripts and CI: POST /api/grade with
// `Authorization: Bearer <grading token>`. The token grants grading of learner namespaces (the
// platform's, by label) and nothing else.

const gradeRequest = z.object({ lab: z.string().max(64), namespace: z.string().regex(/^[a-z0-9-]{1,63}$/, 'a namespace name') });

export function registerGradingApi(app: FastifyInstance, kc: KubeConfig, labs: ReadonlyMap<string, Lab>, token: string): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/grade',
    {
      schema: { body: gradeRequest, security: [{ bearer: [] }], response: { 200: gradeDocument, 401: errorAnswer, 404: errorAnswer, 500: errorAnswer, 503: errorAnswer } },
      // The token before the body: without it, nothing about the request is looked at.
      onRequest: async (req, reply) => {
        if (!bearerMatches(req.headers.authorization, token)) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid grading token is required (Authorization: Bearer <token>)' });
      },
    },
    async (req, reply) => {
      const lab = labs.get(req.body.lab);
      if (!lab) return reply.code(404).send({ error: `no lab named ${req.body.lab}` });
      try {
        return gradeJson(await gradeNamespace(kc, lab, req.body.namespace, { learnerOnly: true }), lab.definition.title);
      } catch (error) {
        if (!(error instanceof CnlabError)) throw error;
        // A lab that cannot be graded as written is the server's fault, not the caller's.
        if (error instanceof LabError) return reply.code(500).send({ error: error.message });
        return reply.code(error.exitCode === GRADE_EXIT.unavailable ? 503 : 404).send({ error: error.message });
      }
    },
  );
}
