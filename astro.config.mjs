// @ts-check
import { readdirSync, readFileSync } from 'node:fs';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { parse } from 'yaml';
import { runnableCode } from './src/markdown/runnable-code.ts';

/** Every lab in labs/, for the sidebar; `cnlab labs validate` checks the files themselves. */
const labLinks = readdirSync('labs', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => ({ label: String(parse(readFileSync(`labs/${entry.name}/lab.yaml`, 'utf8')).title), link: `/labs/${entry.name}/` }))
  .sort((a, b) => a.label.localeCompare(b.label));

// Starlight gives the course navigation, Pagefind search, dark mode and accessible defaults;
// it brings @astrojs/mdx, so lessons are MDX. Lessons live in content/ (see src/content.config.ts).
export default defineConfig({
  site: 'http://127.0.0.1:4321',
  integrations: [
    starlight({
      title: 'cnlab',
      description: 'Learn cloud native and Kubernetes with a real cluster behind every lesson.',
      // Lessons are listed by slug, in teaching order. (Starlight's `autogenerate` only finds
      // pages under src/content/docs, and the course keeps its lessons in content/.)
      sidebar: [
        { label: 'Kubernetes fundamentals', items: ['fundamentals/architecture'] },
        { label: 'Labs', items: labLinks },
        { label: 'Your progress', link: '/progress/' },
      ],
      expressiveCode: { plugins: [runnableCode] },
      components: { Sidebar: './src/components/Sidebar.astro' },
    }),
  ],
});
