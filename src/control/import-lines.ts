// CORRAL MIGRATIONS' import lines (server/migration.ts describe()), read by the mover every poll
// (~40 a second per batch of 32 slots during a move). Read by hand, not with a regex: matchAll's
// iterator and match arrays were 40% of what the controller's node allocated during a move (a
// heap sample of a 40 s reshard: ~3.4 MB/s).
//
// A line: `import slot=N from=H:P state=S keys=A/B bytes=N mark=N offset=N ms=N[ error="..."]`,
// fields separated by one space; a value is up to the next space, or a JSON string when it begins
// with a quote (error=, the last field). Fields may come in any order; unknown ones are skipped.

import type { ReplyValue } from '../protocol/reply-parser.js';
import type { ImportReport } from './decisions-reshard.js';

const QUOTE = 34;
const BACKSLASH = 92;
const SLASH = 47;

/** The imports a CORRAL MIGRATIONS reply lists, by slot (other lines are skipped). */
export function parseImports(reply: ReplyValue): Map<number, ImportReport> {
  const out = new Map<number, ImportReport>();
  if (!Array.isArray(reply)) return out;
  for (const line of reply) {
    if (typeof line !== 'string' || !line.startsWith('import ')) continue;
    const r: ImportReport = { state: '', mark: 0, offset: 0, keys: 0, bytes: 0, error: '' };
    let slot = NaN;
    let at = 7;
    while (at < line.length) {
      const eq = line.indexOf('=', at);
      if (eq < 0) break;
      const from = eq + 1;
      const end = line.charCodeAt(from) === QUOTE ? quotedEnd(line, from) : spaceOrEnd(line, from);
      if (line.startsWith('slot', at) && eq === at + 4) slot = decimal(line, from, end);
      else if (line.startsWith('state', at) && eq === at + 5) r.state = line.slice(from, end);
      else if (line.startsWith('keys', at) && eq === at + 4) r.keys = decimal(line, from, untilSlash(line, from, end));
      else if (line.startsWith('bytes', at) && eq === at + 5) r.bytes = decimal(line, from, end);
      else if (line.startsWith('mark', at) && eq === at + 4) r.mark = decimal(line, from, end);
      else if (line.startsWith('offset', at) && eq === at + 6) r.offset = decimal(line, from, end);
      else if (line.startsWith('error', at) && eq === at + 5) r.error = unquote(line.slice(from, end));
      at = end + 1;
    }
    out.set(slot, r);
  }
  return out;
}

function spaceOrEnd(line: string, from: number): number {
  const sp = line.indexOf(' ', from);
  return sp < 0 ? line.length : sp;
}

/** The end of the JSON string starting at `from` (past its closing quote; the line's end if none). */
function quotedEnd(line: string, from: number): number {
  for (let i = from + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return line.length;
}

function untilSlash(line: string, from: number, end: number): number {
  for (let i = from; i < end; i++) if (line.charCodeAt(i) === SLASH) return i;
  return end;
}

/** A non-negative decimal in line[from, end) (NaN if not one, 0 if empty, as Number('') is). */
function decimal(line: string, from: number, end: number): number {
  let n = 0;
  for (let i = from; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(line.slice(from, end));
    n = n * 10 + d;
  }
  return n;
}

/** A JSON string's text (kept as written if it does not parse); a bare value as it is. */
function unquote(v: string): string {
  if (v.charCodeAt(0) !== QUOTE) return v;
  try {
    return JSON.parse(v) as string;
  } catch {
    return v;
  }
}
