import { marked } from 'marked';
import type { QuizQuestion } from './schema.ts';

// A question's key leaves the server only after the learner has answered it: the page holds the
// prompt and choices, never the answer or the explanation (which usually gives the answer away).

export type QuizKey = { answer: number[]; explanation: string };

/** The key of an answered question: its right choices and the explanation, as inline HTML. */
export const quizKey = (question: QuizQuestion): QuizKey => ({ answer: question.answer, explanation: marked.parseInline(question.explanation, { async: false }) });

/** Whether a set of choices is exactly the question's answer. */
export const isRight = (question: QuizQuestion, choices: number[]) => choices.length === question.answer.length && question.answer.every((answer) => choices.includes(answer));
