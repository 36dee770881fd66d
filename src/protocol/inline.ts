// Splits an inline request line into arguments exactly as Redis's sdssplitargs does: arguments
// separated by whitespace; "double quotes" with \n \r \t \b \a \\ \" and \xHH escapes; 'single
// quotes' with \' only; a closing quote must be followed by whitespace or the end of the line.

import type { CommandArgs } from './request-parser.js';

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Returns the arguments (in a fresh buffer), or null for unbalanced quotes. */
export function splitInlineArgs(src: Buffer, from: number, to: number): CommandArgs | null {
  const out = Buffer.allocUnsafe(to - from);
  const start: number[] = [];
  const end: number[] = [];
  let w = 0;
  let p = from;
  for (;;) {
    while (p < to && isSpace(src[p])) p++;
    if (p >= to) break;
    const argStart = w;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      if (inDouble) {
        if (p >= to) return null;
        const c = src[p];
        if (c === 92 /* \ */ && p + 3 < to && src[p + 1] === 120 /* x */ && hexValue(src[p + 2]) >= 0 && hexValue(src[p + 3]) >= 0) {
          out[w++] = hexValue(src[p + 2]) * 16 + hexValue(src[p + 3]);
          p += 3;
        } else if (c === 92 && p + 1 < to) {
          p++;
          const e = src[p];
          out[w++] = e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
        } else if (c === 34 /* " */) {
          if (p + 1 < to && !isSpace(src[p + 1])) return null;
          done = true;
        } else {
          out[w++] = c;
        }
      } else if (inSingle) {
        if (p >= to) return null;
        const c = src[p];
        if (c === 92 && p + 1 < to && src[p + 1] === 39 /* ' */) {
          p++;
          out[w++] = 39;
        } else if (c === 39) {
          if (p + 1 < to && !isSpace(src[p + 1])) return null;
          done = true;
        } else {
          out[w++] = c;
        }
      } else {
        if (p >= to) {
          done = true;
          break;
        }
        const c = src[p];
        // Inside a word only space, \n, \r and \t end it (\v and \f separate words, not split them).
        if (c === 32 || c === 10 || c === 13 || c === 9) done = true;
        else if (c === 34) inDouble = true;
        else if (c === 39) inSingle = true;
        else out[w++] = c;
      }
      if (p < to) p++;
    }
    start.push(argStart);
    end.push(w);
  }
  return { buf: out, argc: start.length, start, end };
}
