import type { FastifyReply } from 'fastify';

// Grading and resetting a lab each cost the API server a burst of calls; thirty at once for one
// session would slow everyone's. So each session's lab has at most one of them in flight, whoever
// asks (the learner's buttons, their instructor), and the rest are told to ask again.

export type OneAtATime = {
  /** Runs `work` unless the lab's previous grade or reset is still running; then answers 429. */
  run<T>(key: { learner: string; lab: string }, reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply>;
};

export function oneAtATime(): OneAtATime {
  const busy = new Set<string>();
  return {
    async run(key, reply, work) {
      const id = `${key.learner}\n${key.lab}`;
      if (busy.has(id)) {
        return reply.code(429).header('retry-after', '1').send({ error: 'the last check or reset of this lab is still running: try again when it has finished' });
      }
      busy.add(id);
      try {
        return await work();
      } finally {
        busy.delete(id);
      }
    },
  };
}
