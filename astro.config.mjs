// @ts-check
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';

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
      sidebar: [{ label: 'Kubernetes fundamentals', items: ['fundamentals/architecture'] }],
    }),
  ],
});
