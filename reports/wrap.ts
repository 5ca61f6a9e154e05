// Text for a terminal of a given width: words wrapped with a hanging indent, colour codes not counted.

const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

/** Visible length (colour codes left out). */
export function visibleLength(s: string): number {
  return [...s.replace(ANSI, "")].length;
}

/** Wraps at spaces so that no line is longer than width (a single word longer than the line is cut); every line
 *  after the first starts with `indent`. width 0: no wrapping. */
export function wrap(text: string, width: number, indent = ""): string[] {
  if (width <= 0 || visibleLength(text) <= width) return [text];
  const out: string[] = [];
  // The first line keeps its own leading spaces (and any colour code before them).
  const m = new RegExp(`^((?:${String.fromCharCode(27)}\\[[0-9;]*m)*)( *)`).exec(text);
  const head = m ? m[0] : "";
  let line = head;
  const room = (): number => width - visibleLength(line);
  for (const word of text.slice(head.length).split(" ")) {
    const w = visibleLength(word);
    const sep = line === "" || line === indent || line === head ? "" : " ";
    if (w + sep.length <= room()) {
      line += sep + word;
      continue;
    }
    if (line !== "" && line !== indent && line !== head) out.push(line);
    line = out.length === 0 ? head : indent;
    // A word wider than a whole line: cut it.
    let rest = word;
    while (visibleLength(rest) > room() && room() > 0) {
      const take = room();
      out.push(line + [...rest].slice(0, take).join(""));
      rest = [...rest].slice(take).join("");
      line = indent;
    }
    line += rest;
  }
  if (line !== "" && line !== indent) out.push(line);
  return out;
}

/** Every line of a block wrapped (each keeps its own leading spaces as its indent, plus `extra`). */
export function wrapLines(lines: readonly string[], width: number, extra = "  "): string[] {
  return lines.flatMap((l) => {
    const lead = /^ */.exec(l.replace(ANSI, ""))?.[0] ?? "";
    return wrap(l, width, lead + extra);
  });
}
