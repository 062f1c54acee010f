// @ts-check
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { parse } from 'yaml';
import { runnableCode } from './src/markdown/runnable-code.ts';

/** Every lab in labs/, for the sidebar; `cnlab labs validate` checks the files themselves. */
const labLinks = readdirSync('labs', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => ({ label: String(parse(readFileSync(`labs/${entry.name}/lab.yaml`, 'utf8')).title), link: `/labs/${entry.name}/` }))
  .sort((a, b) => a.label.localeCompare(b.label));

/**
 * The course navigation from content/curriculum.yaml: one group per module, its overview first,
 * then its lessons in the outline's order. (Starlight's `autogenerate` only finds pages under
 * src/content/docs, and the course keeps its lessons in content/.)
 * @type {{ modules: Array<{ number: number; slug: string; title: string; items: Array<{ lesson: string }> }> }}
 */
const curriculum = parse(readFileSync('content/curriculum.yaml', 'utf8'));

/** Every practice exam in exams/, for the sidebar; the server validates the files themselves. */
const examLinks = readdirSync('exams', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`exams/${entry.name}/exam.yaml`))
  .map((entry) => ({ label: String(parse(readFileSync(`exams/${entry.name}/exam.yaml`, 'utf8')).title), link: `/exam/${entry.name}/` }));
const moduleGroups = curriculum.modules.map((module) => ({
  label: `${module.number}. ${module.title}`,
  collapsed: true,
  items: [
    { label: 'Overview', link: `/${module.slug}/` },
    ...new Set(module.items.map((item) => item.lesson)),
  ],
}));

// Starlight gives the course navigation, Pagefind search, dark mode and accessible defaults;
// it brings @astrojs/mdx, so lessons are MDX. Lessons live in content/ (see src/content.config.ts).
export default defineConfig({
  site: 'http://127.0.0.1:4321',
  integrations: [
    starlight({
      title: 'cnlab',
      description: 'Learn cloud native and Kubernetes with a real cluster behind every lesson.',
      sidebar: [
        ...moduleGroups,
        { label: 'Labs', collapsed: true, items: [{ label: 'All labs', link: '/labs/' }, ...labLinks] },
        { label: 'Practice exams', collapsed: true, items: examLinks },
        { label: 'Glossary', link: '/glossary/' },
        { label: 'Your progress', link: '/progress/' },
      ],
      expressiveCode: { plugins: [runnableCode] },
      components: {
        Sidebar: './src/components/Sidebar.astro',
        TwoColumnContent: './src/components/TwoColumnContent.astro',
        MarkdownContent: './src/components/MarkdownContent.astro',
      },
    }),
  ],
});
