import { docsSchema } from '@astrojs/starlight/schema';
import { file, glob } from 'astro/loaders';
import { defineCollection } from 'astro:content';
import { glossarySchema, lessonFields, quizSchema } from '../server/course/schema.ts';

// Lessons live in the top-level content/ folder rather than src/content/docs, so course authors
// find them without knowing Astro; files starting with _ are drafts and partials. The formats are
// in server/course/schema.ts, shared with the lab server and the content tests.
export const collections = {
  docs: defineCollection({
    loader: glob({ base: './content', pattern: '**/[^_]*.mdx' }),
    // Overview pages, the home and the glossary are pages too, so the lesson fields are optional
    // here; the content tests require them of every lesson.
    schema: docsSchema({ extend: lessonFields.partial() }),
  }),
  quizzes: defineCollection({
    loader: glob({ base: './content', pattern: '**/*.quiz.yaml', generateId: ({ entry }) => entry.replace(/\.quiz\.yaml$/, '') }),
    schema: quizSchema,
  }),
  glossary: defineCollection({
    loader: file('content/glossary.yaml'),
    schema: glossarySchema.element,
  }),
};
