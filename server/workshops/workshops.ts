import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { ProgressStore, Workshop } from '../store/store.ts';

// Workshops: an instructor creates one for a set of labs (and practice exams the class sits
// together) and a time window, and learners join it with a short code.

// No 0/O or 1/I: codes are read aloud and typed from a projector.
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A workshop that has ended: late joiners are turned away, and its instructor's rights are over. */
export const hasEnded = (workshop: Workshop, now = Date.now()) => workshop.endsAt.getTime() <= now;

export type NewWorkshop = { title: string; labs: string[]; exams?: string[]; capacity: number; startsAt: Date; endsAt: Date };

/** Creates a workshop; the instructor token is returned once and only its hash is kept. */
export async function createWorkshop(store: ProgressStore, input: NewWorkshop): Promise<{ workshop: Workshop; instructorToken: string }> {
  const instructorToken = randomBytes(24).toString('base64url');
  for (let attempt = 0; ; attempt += 1) {
    const code = Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
    const workshop: Workshop = { id: randomUUID(), code, ...input, exams: input.exams ?? [], instructorTokenHash: hashToken(instructorToken) };
    try {
      await store.createWorkshop(workshop);
      return { workshop, instructorToken };
    } catch (error) {
      // A code already in use (one in a billion): draw another.
      if (attempt >= 3) throw error;
    }
  }
}
