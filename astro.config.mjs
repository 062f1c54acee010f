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
      sidebar: [{ label: 'Kubernetes fundamentals', items: [{ autogenerate: { directory: 'fundamentals' } }] }],
    }),
  ],
});
