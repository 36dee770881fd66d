// Splitting a line into words as Redis's sdssplitargs does (script shebangs, library headers).

/**
 * Redis's sdssplitargs: words separated by blanks, where "..." (with \\ escapes, \\xHH, \\n...)
 * and '...' quote parts of a word. Null for unbalanced quotes or a quote not followed by a blank.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  const blank = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\0';
  for (;;) {
    while (i < n && blank(line[i])) i++;
    if (i >= n) return out;
    let word = '';
    let quote = '';
    for (;;) {
      const c = line[i];
      if (quote !== '') {
        if (i >= n) return null;
        const escaped = c === '\\' ? unescape(line, i, quote) : null;
        if (escaped !== null) {
          word += escaped[0];
          i += escaped[1];
          continue;
        }
        if (c === quote) {
          if (i + 1 < n && !blank(line[i + 1])) return null;
          quote = '';
          i++;
          break;
        }
        word += c;
        i++;
      } else {
        if (i >= n || blank(c)) break;
        if (c === '"' || c === "'") quote = c;
        else word += c;
        i++;
      }
    }
    out.push(word);
  }
}

/** The escape at line[i] (a backslash) inside a quote: its text and length, or null for a plain backslash. */
function unescape(line: string, i: number, quote: string): [string, number] | null {
  const n = line.length;
  if (quote === "'") return line[i + 1] === "'" ? ["'", 2] : null;
  if (i + 3 < n && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) return [String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16)), 4];
  if (i + 1 >= n) return null;
  const e = line[i + 1];
  return [e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e, 2];
}
