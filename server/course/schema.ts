// The course's data formats, in one place: the outline (content/curriculum.yaml), a lesson's
// front matter, a quiz file and the glossary. The site's content collections, the lab server
// (which scores quiz answers) and the content tests all validate against these schemas.
import { z } from 'zod';

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase words joined by hyphens');
const lessonSlug = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'module/lesson, e.g. fundamentals/pods');

export const domainIds = ['fundamentals', 'orchestration', 'delivery', 'architecture', 'infrastructure'] as const;
export const domainId = z.enum(domainIds);
export type DomainId = z.infer<typeof domainId>;

export const curriculumSchema = z.strictObject({
  exam: z.strictObject({ name: z.string(), questions: z.number().int(), minutes: z.number().int(), passPercent: z.number() }),
  domains: z.array(
    z.strictObject({ id: domainId, title: z.string(), weight: z.number().min(0).max(100), subAreas: z.array(slug).min(1) }),
  ),
  modules: z.array(
    z.strictObject({
      // Module 0 is the course's own orientation, before module 1 of the upstream outline.
      number: z.number().int().min(0),
      slug,
      title: z.string().min(3),
      summary: z.string().min(20),
      items: z
        .array(
          z.strictObject({
            // N.M is an item of the upstream outline; N.M.K is part K of it, when one item needs
            // more than one lesson.
            id: z.string().regex(/^\d+\.\d+(\.\d+)?$/),
            topic: z.string().min(10),
            lesson: lessonSlug,
            labs: z.array(slug).default([]),
          }),
        )
        .min(1),
    }),
  ),
});
export type Curriculum = z.infer<typeof curriculumSchema>;

/** What a lesson adds to Starlight's front matter; the site also accepts pages without it. */
export const lessonFields = z.object({
  module: z.number().int().min(0),
  order: z.number().int().min(1),
  domain: domainId,
  subArea: slug,
  minutes: z.number().int().min(5).max(120),
  objectives: z.array(z.string().min(10)).min(1),
  labs: z.array(slug).default([]),
});
export type LessonFields = z.infer<typeof lessonFields>;

export const quizQuestionSchema = z
  .strictObject({
    id: slug,
    type: z.enum(['single', 'multiple']),
    domain: domainId,
    subArea: slug,
    prompt: z.string().min(10),
    choices: z.array(z.string().min(1)).min(2).max(6),
    answer: z.array(z.number().int().min(0)).min(1),
    explanation: z.string().min(30),
  })
  .superRefine((question, context) => {
    for (const [index, choice] of question.answer.entries()) {
      if (choice >= question.choices.length) {
        context.addIssue({ code: 'custom', path: ['answer', index], message: `answer ${choice} is not a choice (there are ${question.choices.length}, counted from 0)` });
      }
    }
    if (new Set(question.answer).size !== question.answer.length) {
      context.addIssue({ code: 'custom', path: ['answer'], message: 'an answer is listed twice' });
    }
    if (question.type === 'single' && question.answer.length !== 1) {
      context.addIssue({ code: 'custom', path: ['answer'], message: 'a single-choice question has exactly one answer' });
    }
    if (new Set(question.choices).size !== question.choices.length) {
      context.addIssue({ code: 'custom', path: ['choices'], message: 'two choices read the same' });
    }
  });
export type QuizQuestion = z.infer<typeof quizQuestionSchema>;

export const quizSchema = z.strictObject({ questions: z.array(quizQuestionSchema).min(3).max(6) });
export type Quiz = z.infer<typeof quizSchema>;

export const glossarySchema = z
  .array(
    z
      .strictObject({
        term: z.string().min(1),
        id: slug,
        definition: z.string().min(20),
        see: z.array(slug).optional(),
        /** The lesson that teaches the term; earlier lessons in course order must link it. */
        introducedIn: lessonSlug.optional(),
        /** The words that count as a use of the term in prose, matched whole and case-sensitively. */
        uses: z.array(z.string().min(2)).min(1).optional(),
      })
      .refine((entry) => (entry.introducedIn === undefined) === (entry.uses === undefined), {
        message: 'introducedIn and uses go together: the lesson that teaches the term, and the words that mean it',
      }),
  )
  .min(1);
export type Glossary = z.infer<typeof glossarySchema>;
