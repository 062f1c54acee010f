import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { KubeConfig } from '@kubernetes/client-node';
import { CnlabError } from '../errors.ts';
import { gradeNamespace } from '../labs/grade.ts';
import type { Lab } from '../labs/load.ts';
import { gradeJson } from '../labs/report.ts';
import { bearerMatches } from './bearer.ts';

// Automated grading over HTTP, for course providers' scripts and CI: POST /api/grade with
// `Authorization: Bearer <grading token>`. The token grants grading of learner namespaces (the
// platform's, by label) and nothing else.

const request = z.object({ lab: z.string(), namespace: z.string().regex(/^[a-z0-9-]{1,63}$/, 'a namespace name') });

export function registerGradingApi(app: FastifyInstance, kc: KubeConfig, labs: ReadonlyMap<string, Lab>, token: string): void {
  app.post('/api/grade', async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, token)) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid grading token is required (Authorization: Bearer <token>)' });
    const body = request.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: `send {"lab": "<id>", "namespace": "<name>"}: ${body.error.issues[0]?.message}` });
    const lab = labs.get(body.data.lab);
    if (!lab) return reply.code(404).send({ error: `no lab named ${body.data.lab}` });
    try {
      return gradeJson(await gradeNamespace(kc, lab, body.data.namespace, { learnerOnly: true }), lab.definition.title);
    } catch (error) {
      if (!(error instanceof CnlabError)) throw error;
      return reply.code(error.exitCode === 2 ? 503 : 404).send({ error: error.message });
    }
  });
}
