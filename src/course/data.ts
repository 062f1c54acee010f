// The course data for pages and components at build time. The build bundles pages elsewhere, so
// content/ is found from where the build runs (the project root).
import { resolve } from 'node:path';
import { loadCourse } from '../../server/course/load.ts';
import { loadLabs } from '../../server/labs/load.ts';

export const course = await loadCourse(resolve('content'));

export const labs = await loadLabs(resolve('labs'));

/** Lab titles by id, for links from lessons. */
export const labTitles = new Map(labs.map((lab) => [lab.definition.id, lab.definition.title]));

export const moduleOf = (number: number) => course.curriculum.modules.find((module) => module.number === number);

/** A module's lessons in teaching order (the outline's order). */
export function lessonsOf(number: number) {
  const module = moduleOf(number);
  const slugs = [...new Set(module?.items.map((item) => item.lesson) ?? [])];
  return slugs.flatMap((slug) => {
    const lesson = course.lessons.get(slug);
    return lesson ? [lesson] : [];
  });
}

export const domainTitle = (id: string) => course.curriculum.domains.find((domain) => domain.id === id)?.title ?? id;

export const formatMinutes = (minutes: number) => (minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60 ? `${minutes % 60} min` : ''}`.trim());

/** The course's lessons in teaching order: module by module, each module's lessons in order. */
export const lessonsInOrder = course.curriculum.modules.flatMap((module) => lessonsOf(module.number));

/**
 * Where a learner goes after finishing a lab: the next lab of its lesson, else the lesson after
 * its lesson, else their progress page (the course is done).
 */
export function nextAfterLab(id: string): { href: string; title: string } {
  const lab = labs.find((candidate) => candidate.definition.id === id);
  const lesson = lessonsInOrder.findIndex((candidate) => candidate.slug === lab?.definition.lesson);
  const siblings = lessonsInOrder[lesson]?.labs ?? [];
  const nextLab = siblings[siblings.indexOf(id) + 1];
  if (siblings.includes(id) && nextLab) return { href: `/labs/${nextLab}/`, title: `the lab ${labTitles.get(nextLab) ?? nextLab}` };
  const nextLesson = lesson >= 0 ? lessonsInOrder[lesson + 1] : undefined;
  if (nextLesson) return { href: `/${nextLesson.slug}/`, title: `the lesson ${nextLesson.title}` };
  return { href: '/progress/', title: 'your progress' };
}
