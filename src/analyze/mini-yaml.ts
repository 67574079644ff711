// The YAML kubectl writes (`kubectl get pods -o yaml`): block mappings and sequences (a sequence's
// dashes at its key's indentation or deeper), plain and quoted scalars, `|`/`>` block scalars
// (annotations), and the empty flow collections `{}` and `[]`. Enough to read pods, nodes and
// services back; anything else is read as a string. Never throws.

export type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
}

const DASH = /^-(?:\s+|$)/;

function scalar(raw: string): Yaml {
  const s = raw.trim();
  if (s === '{}') {
    return {};
  }
  if (s === '[]') {
    return [];
  }
  if (s === '' || s === '~' || s === 'null') {
    return null;
  }
  const dq = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
  if (dq) {
    return dq[1]!.replace(/\\(.)/g, '$1');
  }
  const sq = /^'((?:[^']|'')*)'$/.exec(s);
  if (sq) {
    return sq[1]!.replace(/''/g, "'");
  }
  const flow = /^\[(.*)\]$/.exec(s);
  if (flow) {
    return flow[1]!.split(',').map((x) => scalar(x));
  }
  return s;
}

/** `key: value` → [key, value]; a quoted key is unquoted. */
function keyValue(text: string): [string, string] | undefined {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:][^:]*?):(?:\s+(.*)|$)/.exec(text);
  if (!m) {
    return undefined;
  }
  const key = scalar(m[1]!);
  return [typeof key === 'string' ? key : m[1]!, m[2] ?? ''];
}

class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  private peek(): Line | undefined {
    return this.lines[this.i];
  }

  /** A block scalar's lines: everything indented deeper than `indent`. */
  private blockScalar(indent: number): string {
    const out: string[] = [];
    while (this.peek() && this.peek()!.indent > indent) {
      out.push(this.peek()!.text);
      this.i++;
    }
    return out.join('\n');
  }

  /** The value after `key:` with nothing behind it: a nested block, a sequence, or null. */
  private nested(indent: number): Yaml {
    const next = this.peek();
    if (next && (next.indent > indent || (next.indent === indent && DASH.test(next.text)))) {
      return this.block(next.indent);
    }
    return null;
  }

  private mapping(indent: number, first?: string): Yaml {
    const out: Record<string, Yaml> = {};
    let text = first;
    for (;;) {
      if (text === undefined) {
        const l = this.peek();
        if (!l || l.indent !== indent || DASH.test(l.text)) {
          return out;
        }
        text = l.text;
        this.i++;
      }
      const kv = keyValue(text);
      text = undefined;
      if (!kv) {
        continue;
      }
      const [key, rest] = kv;
      out[key] = /^[|>][-+]?\d*$/.test(rest)
        ? this.blockScalar(indent)
        : rest.trim() === ''
          ? this.nested(indent)
          : scalar(rest);
    }
  }

  private sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    for (let l = this.peek(); l && l.indent === indent && DASH.test(l.text); l = this.peek()) {
      this.i++;
      const rest = l.text.replace(DASH, '');
      const inner = indent + (l.text.length - rest.length);
      if (rest === '') {
        out.push(this.nested(indent));
      } else if (keyValue(rest) && !/^["'[{]/.test(rest)) {
        out.push(this.mapping(inner, rest));
      } else {
        out.push(scalar(rest));
      }
    }
    return out;
  }

  block(indent: number): Yaml {
    const l = this.peek();
    if (!l) {
      return null;
    }
    return DASH.test(l.text) ? this.sequence(indent) : this.mapping(indent);
  }
}

/** The documents of a YAML text (`---` separated), each as plain data. */
export function parseYaml(text: string): Yaml[] {
  const docs: Yaml[] = [];
  for (const doc of text.split(/^---\s*$/m)) {
    const lines = doc
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^\s*#/.test(l))
      .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
    if (!lines.length) {
      continue;
    }
    // Lines indented against the first block's structure are left unread: kubectl writes none.
    docs.push(new Reader(lines).block(lines[0]!.indent));
  }
  return docs;
}
