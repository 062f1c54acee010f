// Small words that depend on a number: "1 lab", "2 labs".

/** The count and the noun it counts, singular for exactly one. */
export const counted = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
