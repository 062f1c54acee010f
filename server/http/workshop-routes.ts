import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Lab } from '../labs/load.ts';
import { StoreUnavailableError } from '../store/connection.ts';
import type { ProgressStore, Workshop } from '../store/store.ts';
import type { AutoGrader } from '../labs/auto-grader.ts';
import type { SessionManager } from '../sessions/manager.ts';
import { ownerLabel } from '../shared/names.ts';
import { type AuthFrame, INSTRUCTOR_REFUSED, type ServerFrame } from '../shared/terminal-protocol.ts';
import { scoreDistribution, sittingResults } from '../workshops/sittings.ts';
import { hasEnded, hashToken } from '../workshops/workshops.ts';
import { type PracticeExams, sittingWindow } from '../exams/practice.ts';
import { errorAnswer, noContent } from './answers.ts';
import { watch } from './terminal-socket.ts';
import { displayNameSchema, ensureLearner, setLearner } from './identity.ts';
import { RESET_UNAVAILABLE } from './lab-routes.ts';
import type { OneAtATime } from './one-at-a-time.ts';

/** Whether a request carries the instructor token of this workshop (compared as hashes). */
function isInstructor(authorization: string | undefined, workshop: Workshop): boolean {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return false;
  return timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(workshop.instructorTokenHash));
}

const INSTRUCTOR_ONLY = "the instructor's token for this workshop is required";
const WORKSHOP_OVER = "the workshop has ended: its learners' labs are their own now";
// A watcher has this long to send its token before the socket closes.
const AUTH_TIMEOUT_MS = 5000;

const sittingAnswer = z.object({
  exam: z.string(),
  title: z.string(),
  minutes: z.number(),
  passPercent: z.number(),
  startedAt: z.string().nullable(),
  endsAt: z.string().nullable(),
  submitted: z.number(),
  /** Submitted scores per tenth: [0, 10), [10, 20), … [90, 100]. */
  distribution: z.array(z.number()),
  learners: z.array(z.object({ ref: z.string(), state: z.enum(['not started', 'in progress', 'submitted']), percent: z.number().nullable(), passed: z.boolean().nullable() })),
});

type InstructorParams = { Params: { code: string; ref: string } };
const learnerParams = z.object({ code: z.string().max(16), ref: z.string().max(64) });

/**
 * Learners join a workshop with its code and a display name; its instructor watches the grid,
 * resets a learner's lab and looks at a learner's terminal (read-only). Learners appear to the
 * instructor by a reference (the hash the platform labels their namespaces with), not their id.
 */
export function registerWorkshopRoutes(
  app: FastifyInstance,
  { store, labs, exams, sessions, grader, inFlight }: { store: ProgressStore; labs: ReadonlyMap<string, Lab>; exams: PracticeExams; sessions: SessionManager; grader: AutoGrader; inFlight: OneAtATime },
): void {
  /** The workshop, if `authorization` carries its instructor's token. */
  const asInstructor = async (code: string, authorization: string | undefined) => {
    const workshop = await store.workshopByCode(code.toUpperCase());
    return workshop && isInstructor(authorization, workshop) ? workshop : undefined;
  };
  const refuse = (reply: FastifyReply) => reply.code(401).header('www-authenticate', 'Bearer').send({ error: INSTRUCTOR_ONLY });
  const api = app.withTypeProvider<ZodTypeProvider>();
  const memberByRef = async (workshop: Workshop, ref: string) => (await store.workshopMembers(workshop)).find((member) => ownerLabel(member.learner) === ref);

  const dashboard = z.object({
    title: z.string(),
    code: z.string(),
    capacity: z.number(),
    startsAt: z.string(),
    endsAt: z.string(),
    tasks: z.array(z.object({ key: z.string(), lab: z.string(), title: z.string() })),
    learners: z.array(
      z.object({ ref: z.string(), name: z.string(), live: z.array(z.string()), passed: z.array(z.string()), failing: z.array(z.string()), lastActivity: z.string(), stuckSeconds: z.number() }),
    ),
    exams: z.array(sittingAnswer),
  });
  /** A sitting as the dashboard shows it: when it runs, who has submitted, how the scores spread. */
  const sittingOf = async (workshop: Workshop, examId: string, startedAt: Date | undefined) => {
    const exam = exams.exam(examId);
    const members = await store.workshopMembers(workshop);
    const results = exam && startedAt ? await sittingResults(exams, exam, members, startedAt) : [];
    const state = new Map(results.map((result) => [result.learner, result]));
    return {
      exam: examId,
      title: exam?.title ?? examId,
      minutes: exam?.minutes ?? 0,
      passPercent: exam?.passPercent ?? 0,
      startedAt: startedAt?.toISOString() ?? null,
      endsAt: exam && startedAt ? sittingWindow(exam, startedAt).endsAt.toISOString() : null,
      submitted: results.filter((result) => result.state === 'submitted').length,
      distribution: scoreDistribution(results),
      learners: members.map((member) => {
        const result = state.get(member.learner);
        return { ref: ownerLabel(member.learner), state: result?.state ?? 'not started', percent: result?.score?.percent ?? null, passed: result?.score?.passed ?? null };
      }),
    };
  };

  api.get('/api/workshops/:code/dashboard', { schema: { params: z.object({ code: z.string().max(16) }), security: [{ bearer: [] }], response: { 200: dashboard, 401: errorAnswer } } }, async (request, reply) => {
    // A wrong code and a wrong token get the same answer: the dashboard's existence is not news.
    const workshop = await asInstructor(request.params.code, request.headers.authorization);
    if (!workshop) return refuse(reply);
    const now = Date.now();
    const ended = hasEnded(workshop, now);
    return {
      title: workshop.title,
      code: workshop.code,
      capacity: workshop.capacity,
      startsAt: workshop.startsAt.toISOString(),
      endsAt: workshop.endsAt.toISOString(),
      tasks: workshop.labs.flatMap((id) => (labs.get(id)?.definition.tasks ?? []).map((task) => ({ key: `${id}/${task.id}`, lab: id, title: task.title }))),
      learners: (await store.workshopMembers(workshop))
        .map((member) => ({
          ref: ownerLabel(member.learner),
          name: member.name,
          // Labs with an open terminal, which the instructor can watch.
          live: ended ? [] : workshop.labs.filter((lab) => sessions.liveSession(member.learner, lab, member.joinedAt)),
          passed: member.passed,
          failing: member.failing,
          lastActivity: member.lastActivity.toISOString(),
          stuckSeconds: Math.round((now - member.lastProgress.getTime()) / 1000),
        }))
        .sort((a, b) => b.stuckSeconds - a.stuckSeconds),
      exams: await Promise.all(workshop.exams.map(async (exam) => sittingOf(workshop, exam, (await store.sittings(workshop)).get(exam)))),
    };
  });

  // Everyone's clock starts now; a second start (another instructor's tab) keeps the first.
  api.post('/api/workshops/:code/exams/:exam/sitting', { schema: { params: z.object({ code: z.string().max(16), exam: z.string().max(64) }), security: [{ bearer: [] }], response: { 200: sittingAnswer, 400: errorAnswer, 401: errorAnswer, 410: errorAnswer } } }, async (request, reply) => {
    const workshop = await asInstructor(request.params.code, request.headers.authorization);
    if (!workshop) return refuse(reply);
    if (!workshop.exams.includes(request.params.exam)) return reply.code(400).send({ error: `name one of this workshop's exams: ${workshop.exams.join(', ') || '(it has none)'}` });
    if (hasEnded(workshop)) return reply.code(410).send({ error: WORKSHOP_OVER });
    const startedAt = await store.startSitting(workshop, request.params.exam, new Date());
    request.log.info({ workshop: workshop.code, exam: request.params.exam }, 'instructor started an exam sitting');
    return sittingOf(workshop, request.params.exam, startedAt);
  });

  const resetAnswers = { 204: noContent, 400: errorAnswer, 401: errorAnswer, 404: errorAnswer, 409: errorAnswer, 410: errorAnswer, 429: errorAnswer, 503: errorAnswer };
  api.post('/api/workshops/:code/learners/:ref/reset', { schema: { params: learnerParams, body: z.object({ lab: z.string().max(64) }), security: [{ bearer: [] }], response: resetAnswers } }, async (request, reply) => {
    const workshop = await asInstructor(request.params.code, request.headers.authorization);
    if (!workshop) return refuse(reply);
    const { lab } = request.body;
    if (!workshop.labs.includes(lab)) return reply.code(400).send({ error: `name one of this workshop's labs: ${workshop.labs.join(', ')}` });
    if (hasEnded(workshop)) return reply.code(410).send({ error: WORKSHOP_OVER });
    const member = await memberByRef(workshop, request.params.ref);
    if (!member) return reply.code(404).send({ error: 'no such learner in this workshop' });
    return inFlight.run({ learner: member.learner, lab }, reply, async () => {
      let reset;
      try {
        // Only what the learner opened since joining: their own work before it is not the instructor's.
        reset = await sessions.resetFor(member.learner, lab, member.joinedAt);
      } catch (error) {
        request.log.warn({ err: error, workshop: workshop.code, learner: request.params.ref, lab }, 'instructor reset failed');
        return reply.code(503).send({ error: RESET_UNAVAILABLE });
      }
      if (!reset) return reply.code(409).send({ error: `${member.name} has not started ${lab} in this workshop yet: there is nothing to reset` });
      // The learner's panel and the grid show the fresh start at once.
      if (reset !== 'namespace') await grader.grade(reset, 'auto').catch((error: unknown) => request.log.warn({ err: error }, 'grading after an instructor reset failed'));
      request.log.info({ workshop: workshop.code, learner: request.params.ref, lab }, 'instructor reset a learner\'s lab');
      return reply.code(204).send(null);
    });
  });

  app.get<InstructorParams & { Querystring: { lab?: string } }>(
    '/api/workshops/:code/learners/:ref/terminal',
    {
      // Its origin is checked by the host guard (host-guard.ts), as for every socket.
      websocket: true,
    },
    (socket, request) => {
      // Browsers cannot put a token in a WebSocket's headers, and a URL ends up in logs: the
      // token is the first frame.
      const timer = setTimeout(() => socket.close(INSTRUCTOR_REFUSED, INSTRUCTOR_ONLY), AUTH_TIMEOUT_MS);
      socket.once('message', (raw) => {
        clearTimeout(timer);
        void (async () => {
          const token = (z.object({ type: z.literal('auth'), token: z.string() }) satisfies z.ZodType<AuthFrame>).safeParse(JSON.parse(raw.toString()) as unknown);
          const workshop = token.success ? await asInstructor(request.params.code, `Bearer ${token.data.token}`) : undefined;
          if (!workshop) return socket.close(INSTRUCTOR_REFUSED, INSTRUCTOR_ONLY);
          if (hasEnded(workshop)) return socket.close(INSTRUCTOR_REFUSED, WORKSHOP_OVER);
          const member = await memberByRef(workshop, request.params.ref);
          const lab = request.query.lab ?? '';
          const session = member && workshop.labs.includes(lab) ? sessions.liveSession(member.learner, lab, member.joinedAt) : undefined;
          if (!session) {
            socket.send(JSON.stringify({ type: 'exit', reason: 'this learner has no open terminal for that lab right now' } satisfies ServerFrame));
            return socket.close(1000, 'no terminal');
          }
          request.log.info({ workshop: workshop.code, learner: request.params.ref, lab }, 'instructor watches a learner\'s terminal');
          watch(socket, session);
        })().catch((error: unknown) =>
          // 1013: "try again later", the database being down is not the instructor's mistake.
          error instanceof StoreUnavailableError ? socket.close(1013, 'the progress database is not answering: try again in a moment') : socket.close(4400, 'the first frame must be {"type":"auth","token":"…"}'),
        );
      });
    },
  );

  const joined = z.object({ title: z.string(), labs: z.array(z.string()), exams: z.array(z.string()), startsAt: z.string(), endsAt: z.string(), joined: z.enum(['joined', 'already a member']) });
  api.post('/api/workshops/join', { schema: { body: z.object({ code: z.string().trim().max(16), name: displayNameSchema }), response: { 200: joined, 404: errorAnswer, 409: errorAnswer, 410: errorAnswer } } }, async (request, reply) => {
    const code = request.body.code.toUpperCase();
    const workshop = await store.workshopByCode(code);
    if (!workshop) return reply.code(404).send({ error: `no workshop has the code ${code}: check it with your instructor` });
    if (hasEnded(workshop)) return reply.code(410).send({ error: `the workshop "${workshop.title}" has ended` });
    const learner = ensureLearner(request, reply);
    const joined = await store.joinWorkshop(workshop, learner.id, request.body.name);
    if (joined === 'full') return reply.code(409).send({ error: `the workshop "${workshop.title}" is full (${workshop.capacity} ${workshop.capacity === 1 ? 'learner' : 'learners'}): ask your instructor` });
    setLearner(reply, { ...learner, name: request.body.name }, request.protocol === 'https');
    return { title: workshop.title, labs: workshop.labs, exams: workshop.exams, startsAt: workshop.startsAt.toISOString(), endsAt: workshop.endsAt.toISOString(), joined };
  });
}
