// Drawing a practice exam from the bank: as many questions per domain as the exam's weights give,
// fresh ones before those of the learner's last attempt, and every question's choices in an order
// of their own, so neither a position nor a memorised sequence gives an answer away.
import { randomInt } from 'node:crypto';
import { type Random, shuffle } from '../shared/shuffle.ts';
import type { DrawnQuestion } from '../store/exam-attempts.ts';

export type { Random };

export type Weighted = { id: string; weight: number };
/** What the draw needs of a bank question. */
export type Drawable = { id: string; domain: string; choices: readonly unknown[] };

/**
 * Splits `count` questions over the domains by weight (largest remainder: the quotas add up to
 * `count` exactly, and no domain is more than one question off its share).
 */
export function quotas(domains: readonly Weighted[], count: number): Map<string, number> {
  const total = domains.reduce((sum, domain) => sum + domain.weight, 0);
  const shares = domains.map((domain) => ({ id: domain.id, exact: (domain.weight / total) * count }));
  const result = new Map(shares.map((share) => [share.id, Math.floor(share.exact)]));
  let left = count - [...result.values()].reduce((sum, quota) => sum + quota, 0);
  for (const share of [...shares].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)))) {
    if (left === 0) break;
    result.set(share.id, (result.get(share.id) ?? 0) + 1);
    left -= 1;
  }
  return result;
}

/**
 * Draws `count` questions: each domain's quota from its questions, those not in `avoid` first; a
 * domain with too few questions leaves its shortfall to the others, so the exam is always full
 * when the bank holds `count` questions at all.
 */
export function drawQuestions(bank: readonly Drawable[], domains: readonly Weighted[], count: number, avoid: ReadonlySet<string>, random: Random = randomInt): DrawnQuestion[] {
  const byDomain = new Map(domains.map((domain) => [domain.id, bank.filter((question) => question.domain === domain.id)]));
  const preferred = (questions: readonly Drawable[]) => [...shuffle(questions.filter((q) => !avoid.has(q.id)), random), ...shuffle(questions.filter((q) => avoid.has(q.id)), random)];
  const chosen: Drawable[] = [];
  const rest: Drawable[] = [];
  for (const [domain, quota] of quotas(domains, Math.min(count, bank.length))) {
    const ordered = preferred(byDomain.get(domain) ?? []);
    chosen.push(...ordered.slice(0, quota));
    rest.push(...ordered.slice(quota));
  }
  chosen.push(...preferred(rest).slice(0, Math.min(count, bank.length) - chosen.length));
  return shuffle(chosen, random).map((question) => ({ id: question.id, order: shuffle([...question.choices.keys()], random) }));
}
