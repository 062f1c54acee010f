// Terms in course order: a lesson that uses a glossary term before the lesson that teaches it
// must link the term (to its glossary entry or to that lesson), so a newcomer reading the course
// in order never meets an unexplained word. content/glossary.yaml says which lesson teaches
// each term (introducedIn) and which words are a use of it (uses).
import { relative } from 'node:path';
import { projectRoot } from '../paths.ts';
import { fileLine, prose } from './lesson-text.ts';
import type { Lesson } from './load.ts';
import type { Glossary } from './schema.ts';

export type EarlyTerm = { file: string; line: number; term: string; word: string; introducedIn: string };

const LINK = /\[([^\]]+)\]\(([^)\s]+)\)/g;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A use is a whole word: not inside a longer word nor after a hyphen (`kube-scheduler` is not a
 * use of `scheduler`), while `Pod-level` is a use of `Pod`. A space in a form also matches a line
 * break, since prose is wrapped.
 */
const useOf = (forms: string[]) => new RegExp(`(?<![\\w-])(?:${forms.map((form) => escape(form).replace(/ /g, '\\s+')).join('|')})(?!\\w)`, 'g');

/** The prose with link targets blanked: terms are looked for in link texts, never in URLs. */
const words = (text: string) => text.replace(LINK, (link, label: string) => `[${label}]${' '.repeat(link.length - label.length - 2)}`);

/** Whether the lesson's prose uses any of the words, linked or not. */
export const usesAny = (lesson: Lesson, uses: string[]) => useOf(uses).test(words(prose(lesson)));

/** The first unlinked use, in each lesson, of each term a later lesson introduces. */
export function termsUsedTooEarly(lessons: Lesson[], glossary: Glossary): EarlyTerm[] {
  const position = new Map(lessons.map((lesson, index) => [lesson.slug, index]));
  const found: EarlyTerm[] = [];
  for (const [index, lesson] of lessons.entries()) {
    const text = prose(lesson);
    const links = [...text.matchAll(LINK)].map((match) => ({ from: match.index, to: match.index + 1 + (match[1]?.length ?? 0), href: match[2] ?? '' }));
    const searched = words(text);
    for (const entry of glossary) {
      if (!entry.introducedIn || !entry.uses || (position.get(entry.introducedIn) ?? -1) <= index) continue;
      const first = useOf(entry.uses).exec(searched);
      if (!first) continue;
      const link = links.find((candidate) => candidate.from < first.index && first.index < candidate.to);
      // A link to a longer term that contains the word counts too: [Helm chart](/glossary/#helm-chart) explains Helm.
      const linked = link && (link.href.startsWith(`/${entry.introducedIn}/`) || glossary.some((other) => link.href === `/glossary/#${other.id}` && (other === entry || other.uses?.some((form) => useOf(entry.uses ?? []).test(form)))));
      if (!linked) found.push({ file: relative(projectRoot, lesson.file), line: fileLine(lesson, first.index), term: entry.term, word: first[0].replace(/\s+/g, ' '), introducedIn: entry.introducedIn });
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export const describeEarlyTerm = (use: EarlyTerm) =>
  `${use.file}:${use.line}: "${use.word}" (${use.term}) is taught later, in ${use.introducedIn}; link it to its glossary entry or that lesson, or explain it here and teach it earlier`;
