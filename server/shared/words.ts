// Small words that depend on a number: "1 lab", "2 labs", "there are no Pods".

/** The count and the noun it counts, in the plural unless exactly one: "2 Ingresses", "2 NetworkPolicies", "2 Endpoints". */
export function counted(n: number, word: string): string {
  if (n === 1 || word.endsWith('Endpoints')) return `${n} ${word}`;
  if (/[^aeiou]y$/.test(word)) return `${n} ${word.slice(0, -1)}ies`;
  return `${n} ${word}${/(s|x|ch|sh)$/.test(word) ? 'es' : 's'}`;
}

/** "there is 1 Pod", "there are 2 Pods", "there are no Pods". */
export function thereAre(n: number, word: string): string {
  if (n === 0) return `there are no ${counted(2, word).replace(/^2 /, '')}`;
  return `there ${n === 1 ? 'is' : 'are'} ${counted(n, word)}`;
}
