// Kubernetes label selectors, as `kubectl get -l` and the API's `labelSelector` read them:
// `app=web`, `app==web`, `tier!=db`, `env in (prod,staging)`, `env notin (dev)`, `release`
// (the label exists), `!release` (it does not), joined by commas. Parsed once for the validator
// and the grader, so a selector that validates is matched exactly as the API server would.

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

export class SelectorError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

// A label key: an optional DNS-subdomain prefix and "/", then a name of up to 63 characters.
const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, at: number): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) throw new SelectorError(`"${prefix}" is not a label key prefix (a DNS name such as example.com)`, at);
  if (!NAME.test(name)) throw new SelectorError(`"${key}" is not a label key: up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`, at);
}

function checkValue(value: string, at: number): void {
  if (value.length > 63 || !VALUE.test(value)) throw new SelectorError(`"${value}" is not a label value: up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`, at);
}

type Token = { text: string; at: number };

/** Words and the operators = == != ! ( ) , each with its position. */
function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(==|!=|=|!|\(|\)|,|[^\s=!(),]+)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(selector)) !== null) {
    const text = match[1] ?? '';
    tokens.push({ text, at: match.index + match[0].length - text.length });
    end = pattern.lastIndex;
  }
  if (selector.slice(end).trim() !== '') throw new SelectorError(`cannot read "${selector.slice(end)}"`, end);
  return tokens;
}

/** The requirements of a selector (all must hold), or a SelectorError at the offending spot. */
export function parseSelector(selector: string): Requirement[] {
  const tokens = tokenize(selector);
  const requirements: Requirement[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const end = selector.length;
  const expectWord = (what: string): Token => {
    const token = tokens[i];
    if (!token || /^(==|!=|=|!|\(|\)|,)$/.test(token.text)) throw new SelectorError(`${what} is missing`, token?.at ?? end);
    i += 1;
    return token;
  };
  if (tokens.length === 0) return [];
  for (;;) {
    if (peek()?.text === '!') {
      i += 1;
      const key = expectWord('a label key after "!"');
      checkKey(key.text, key.at);
      requirements.push({ key: key.text, op: 'absent' });
    } else {
      const key = expectWord('a label key');
      checkKey(key.text, key.at);
      const op = peek();
      if (!op || op.text === ',') {
        requirements.push({ key: key.text, op: 'exists' });
      } else if (op.text === '=' || op.text === '==' || op.text === '!=') {
        i += 1;
        // An empty value is allowed: `tier=` selects objects whose tier label is empty.
        const next = peek();
        const value = next && next.text !== ',' ? expectWord(`a value after "${op.text}"`) : { text: '', at: op.at + op.text.length };
        checkValue(value.text, value.at);
        requirements.push({ key: key.text, op: op.text === '!=' ? 'notin' : 'in', values: [value.text] });
      } else if (op.text === 'in' || op.text === 'notin') {
        i += 1;
        if (peek()?.text !== '(') throw new SelectorError(`"${op.text}" takes a list in parentheses: ${key.text} ${op.text} (a,b)`, peek()?.at ?? end);
        i += 1;
        const values: string[] = [];
        for (;;) {
          if (peek()?.text === ')' && values.length === 0) throw new SelectorError(`"${op.text} ()" needs at least one value`, peek()?.at ?? end);
          const value = expectWord(`a value in the list of "${op.text}"`);
          checkValue(value.text, value.at);
          values.push(value.text);
          const separator = peek();
          i += 1;
          if (separator?.text === ')') break;
          if (separator?.text !== ',') throw new SelectorError(`the list of "${op.text}" is never closed with ")"`, separator?.at ?? end);
        }
        requirements.push({ key: key.text, op: op.text, values });
      } else {
        throw new SelectorError(`"${op.text}" cannot follow the key ${key.text}: use =, ==, !=, in (...) or notin (...), or a comma`, op.at);
      }
    }
    const separator = peek();
    if (!separator) return requirements;
    if (separator.text !== ',') throw new SelectorError(`"${separator.text}" cannot follow a requirement: separate requirements with ","`, separator.at);
    i += 1;
    if (!peek()) throw new SelectorError('the selector ends with ","', separator.at);
  }
}

/** Whether labels satisfy every requirement; like the API server, != and notin match a missing label. */
export function matchesSelector(labels: Record<string, string> | undefined, requirements: readonly Requirement[]): boolean {
  return requirements.every((requirement) => {
    const value = labels?.[requirement.key];
    switch (requirement.op) {
      case 'exists':
        return value !== undefined;
      case 'absent':
        return value === undefined;
      case 'in':
        return value !== undefined && requirement.values.includes(value);
      case 'notin':
        return value === undefined || !requirement.values.includes(value);
    }
  });
}
