// One Fisher–Yates shuffle for the server (exam draws, crypto.randomInt) and the page (lesson
// quizzes, crypto.getRandomValues): the caller brings the random source its runtime has.

/** A uniform integer in [0, below). */
export type Random = (below: number) => number;

export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = random(i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
