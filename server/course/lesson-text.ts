// A lesson's MDX read two ways, both keeping the file's line numbers: its fenced code blocks
// (the runnable examples) and its prose (where the glossary-order check looks for terms).
import type { Lesson } from './load.ts';

export type CodeBlock = {
  /** The first word after the fence: sh, yaml, ... */
  lang: string;
  /** The words after the language: `run`, `run fails`. */
  meta: string[];
  code: string;
  /** The file's line number of the opening fence. */
  line: number;
};

const FENCE = /^(```+|~~~+)([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

export function codeBlocks(lesson: Pick<Lesson, 'body' | 'bodyLine'>): CodeBlock[] {
  return [...lesson.body.matchAll(FENCE)].map((match) => {
    const [lang = '', ...meta] = (match[2] ?? '').trim().split(/\s+/);
    return { lang, meta, code: (match[3] ?? '').replace(/\n$/, ''), line: lesson.bodyLine - 1 + lineAt(lesson.body, match.index) };
  });
}

/** Blanks a match but keeps its line breaks, so offsets and line numbers stay those of the file. */
const blank = (text: string) => text.replace(/[^\n]/g, ' ');

/**
 * The body with everything that is not prose blanked: code blocks, inline code, import and
 * export lines, MDX comments, JSX and HTML tags (their text content stays) and bare URLs.
 * Links stay, as `[text](href)`, for the reader to tell a linked term from a plain one.
 */
export function prose(lesson: Pick<Lesson, 'body'>): string {
  return lesson.body
    .replace(FENCE, blank)
    .replace(/^(import|export) .*$/gm, blank)
    .replace(/\{\/\*[\s\S]*?\*\/\}/g, blank)
    .replace(/<\/?[A-Za-z][^>]*>/g, blank)
    .replace(/`[^`\n]+`/g, blank)
    .replace(/(?<!\()https?:\/\/\S+/g, blank);
}

/** The line of `offset` in the file, for a prose offset from `prose(lesson)`. */
export const fileLine = (lesson: Pick<Lesson, 'body' | 'bodyLine'>, offset: number) => lesson.bodyLine - 1 + lineAt(lesson.body, offset);
