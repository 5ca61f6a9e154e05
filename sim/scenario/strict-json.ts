// A `.json` scenario must be strict JSON (RFC 8259): the YAML parser that gives every other problem its
// line and column would accept trailing commas, comments and unquoted keys. This checker finds the first
// syntax error and its offset without recursion (deeply nested input cannot exhaust the stack), with a depth
// bound; JSON.parse's own messages carry no position for some errors.

export interface JsonSyntaxError {
  /** Offset in the text. */
  readonly offset: number;
  readonly message: string;
}

/** Deeper than this is refused: no scenario needs it, and JSON.parse recurses. */
export const MAX_JSON_DEPTH = 256;

const WS = new Set([" ", "\t", "\n", "\r"]);

/** The first syntax error of `text` as strict JSON, or undefined when it is valid. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const n = text.length;
  // What the parser expects next inside each open container: "{" or "[" with a state.
  const stack: ("{" | "[")[] = [];
  const err = (message: string, at = i): JsonSyntaxError => ({ offset: Math.min(at, n), message });
  const skipWs = (): void => {
    while (i < n && WS.has(text[i] as string)) i++;
  };
  const got = (): string => (i >= n ? "the end of the file" : JSON.stringify(text[i]));

  const string = (): JsonSyntaxError | undefined => {
    const start = i;
    i++; // opening quote
    while (i < n) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return err("invalid \\u escape: expected 4 hex digits", i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return err(`invalid escape "\\${e ?? ""}" in a string`, i);
        continue;
      }
      if (c < " ") return err("a control character (a raw newline or tab) inside a string; escape it", i);
      i++;
    }
    return err("unterminated string", start);
  };

  /** A scalar or the opening of a container at i. */
  const value = (): JsonSyntaxError | undefined => {
    skipWs();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (stack.length >= MAX_JSON_DEPTH) return err(`nested more than ${MAX_JSON_DEPTH} levels deep`);
      stack.push(c);
      i++;
      return undefined;
    }
    if (c === '"') return string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (lit) {
      i += lit[0].length;
      return undefined;
    }
    return err(`expected a value, got ${got()}`);
  };

  let e = value();
  if (e) return e;
  // After each value: inside a container, expect "," or its close; at the top, the end of the text.
  let fresh = stack.length > 0; // a container was just opened (it may be empty)
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as "{" | "[";
    const close = top === "{" ? "}" : "]";
    skipWs();
    if (fresh) {
      fresh = false;
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
    } else if (text[i] === ",") {
      const comma = i;
      i++;
      skipWs();
      if (text[i] === close) return err(`trailing comma before "${close}"; JSON allows none`, comma);
    } else if (text[i] === close) {
      stack.pop();
      i++;
      continue;
    } else return err(`expected "," or "${close}", got ${got()}`);
    if (top === "{") {
      skipWs();
      if (text[i] !== '"') return err(`expected a double-quoted key, got ${got()}`);
      e = string();
      if (e) return e;
      skipWs();
      if (text[i] !== ":") return err(`expected ":" after the key, got ${got()}`);
      i++;
    }
    const depth = stack.length;
    e = value();
    if (e) return e;
    fresh = stack.length > depth;
  }
  skipWs();
  return i < n ? err(`unexpected ${got()} after the end of the JSON document`) : undefined;
}
