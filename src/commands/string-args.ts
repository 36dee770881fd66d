// Argument and lookup helpers of the string commands that other command families share (keys.ts,
// bitmaps, GEO, ZUNIONSTORE ...): option words matched as Redis's strcasecmp sees them, int64
// arguments by string2ll's rules, and a string key read for a reply. strings.ts re-exports them.

import type { CommandContext } from './context.js';
import { TYPE_STRING } from '../store/entry.js';
import { parseInt64Big } from '../util/bytes.js';

/**
 * Argument i equals a lowercase option word the way Redis's strcasecmp sees it: arguments are C
 * strings there, so "nx\0junk" is NX.
 */
export function optIs(c: CommandContext, i: number, word: string): boolean {
  const a = c.args;
  const s = a.start[i];
  const len = a.end[i] - s;
  const wl = word.length;
  if (len < wl) return false;
  const buf = a.buf;
  for (let k = 0; k < wl; k++) {
    let ch = buf[s + k];
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== word.charCodeAt(k)) return false;
  }
  return len === wl || buf[s + wl] === 0;
}

/** Argument i as an int64 (string2ll rules): a Number when safe, a bigint past 2^53, or undefined. */
export function int64Arg(c: CommandContext, i: number): number | bigint | undefined {
  const n = c.int(i);
  if (n === undefined || Number.isSafeInteger(n)) return n;
  const a = c.args;
  return parseInt64Big(a.buf, a.start[i], a.end[i]);
}

/** Reads a string key for a reply: writes WRONGTYPE and returns null for other types. */
export function readString(c: CommandContext, key: string): string | undefined | null {
  const e = c.readTyped(key, TYPE_STRING);
  return e == null ? e : (e.value as string);
}
