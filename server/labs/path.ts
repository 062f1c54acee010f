// The path grammar of checks (labs/README.md, "Paths"), parsed once for the validator and the
// grader alike, so a path that validates is read exactly as it was written:
//
//   path  := name step*              spec.template.spec.containers[0].image
//   step  := '.' name                a key
//          | '[' digits ']'          a list item by position
//          | '["' text '"]'          a key with dots or slashes: annotations["example.com/owner"]
//          | '[' key '=' value ']'   the first list item whose key equals value: volumes[name=config]
//   name  := letters, digits, '_' and '-'
//   key   := name ('.' name)*        a path inside the item: [configMap.name=app-config]
//   value := text without ']' or '"', or "quoted text"

export type PathStep = { key: string } | { index: number } | { where: string[]; equals: string };

/** A path that does not follow the grammar: what is wrong and where in the text (0-based). */
export class PathError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const NAME = /^[A-Za-z0-9_-]+/;

function parseName(text: string, at: number, what: string): string {
  const name = NAME.exec(text.slice(at))?.[0];
  if (name) return name;
  const found = text[at];
  if (found === undefined) throw new PathError(`the path ends after "${text.slice(0, at)}": ${what} is missing`, at);
  if (found === '.' && text[at - 1] === '.') throw new PathError('two dots in a row: a name is missing between them', at);
  throw new PathError(`"${found}" cannot start ${what}; names are letters, digits, "_" and "-"`, at);
}

/** The selector inside brackets, `text` without them; `at` is where it starts in the path. */
function parseBracket(inner: string, at: number): PathStep {
  if (/^\d+$/.test(inner)) return { index: Number(inner) };
  if (inner === '*' || inner === '') {
    throw new PathError(`[${inner}] selects no single item: to test some item or every item of a list, use the anyItem or everyItem operator`, at);
  }
  const quoted = /^"([^"]+)"$/.exec(inner);
  if (quoted?.[1] !== undefined) return { key: quoted[1] };
  const equalsAt = inner.indexOf('=');
  if (equalsAt < 0) {
    throw new PathError(`[${inner}] is not a path step: write [n] for the n-th item, [key=value] for the item whose key is value, or ["${inner}"] for a key with dots`, at);
  }
  const keyText = inner.slice(0, equalsAt);
  const where: string[] = [];
  let offset = 0;
  for (;;) {
    const name = parseName(keyText, offset, 'the key of [key=value]');
    where.push(name);
    offset += name.length;
    if (offset === keyText.length) break;
    if (keyText[offset] !== '.') throw new PathError(`"${keyText[offset]}" cannot be part of the key of [key=value]`, at + offset);
    offset += 1;
  }
  const raw = inner.slice(equalsAt + 1);
  if (raw.startsWith('=') || raw.startsWith('!')) throw new PathError(`[key=value] takes a single "=": write [${keyText}=${raw.replace(/^[=!]+/, '')}]`, at + equalsAt);
  const value = /^"([^"]*)"$/.exec(raw)?.[1] ?? raw;
  if (value === '') throw new PathError(`[${keyText}=] needs a value after "="`, at + equalsAt + 1);
  if (value.includes('"')) throw new PathError('a value in [key=value] is either all quoted or not quoted at all', at + equalsAt + 1);
  return { where, equals: value };
}

/** The steps of a path, or a PathError that says what is wrong and where. */
export function parsePath(text: string): PathStep[] {
  if (text.trim() !== text) throw new PathError('the path has spaces around it', 0);
  const steps: PathStep[] = [];
  let at = 0;
  const first = parseName(text, at, 'the path');
  steps.push({ key: first });
  at += first.length;
  while (at < text.length) {
    const char = text[at];
    if (char === '.') {
      const name = parseName(text, at + 1, 'a name after "."');
      steps.push({ key: name });
      at += 1 + name.length;
    } else if (char === '[') {
      // A quoted key may hold "]", so look for the closing bracket after the quotes.
      const close = text[at + 1] === '"' ? text.indexOf('"]', at + 2) + 1 : text.indexOf(']', at);
      if (close <= 0) throw new PathError('"[" is never closed with "]"', at);
      steps.push(parseBracket(text.slice(at + 1, close), at + 1));
      at = close + 1;
    } else {
      throw new PathError(`"${char}" cannot follow "${text.slice(0, at)}": continue with "." and a name, or with [...]`, at);
    }
  }
  return steps;
}

const parsed = new Map<string, PathStep[]>();

function stepsOf(path: string): PathStep[] {
  let steps = parsed.get(path);
  if (!steps) {
    steps = parsePath(path);
    parsed.set(path, steps);
  }
  return steps;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function readSteps(value: unknown, steps: readonly PathStep[]): unknown {
  let current = value;
  for (const step of steps) {
    if ('key' in step) {
      current = isRecord(current) ? current[step.key] : undefined;
    } else if ('index' in step) {
      current = Array.isArray(current) ? current[step.index] : undefined;
    } else {
      const { where, equals } = step;
      const keyPath = where.map((key) => ({ key }));
      current = Array.isArray(current)
        ? current.find((item) => {
            const found = readSteps(item, keyPath);
            return found !== undefined && found !== null && typeof found !== 'object' && String(found) === equals;
          })
        : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * The value at a path, or undefined when any step finds nothing: a missing key, an index past the
 * end, no item with that key. Throws a PathError for a path the validator would have refused.
 */
export function valueAt(object: unknown, path: string): unknown {
  return readSteps(object, stepsOf(path));
}
