// The options XADD and XTRIM share (Redis 7.0.15's streamParseAddOrTrimArgsOrReply): NOMKSTREAM
// and the ID for XADD, MAXLEN/MINID with `=`/`~`, LIMIT, checked in Redis's order with its
// errors; and the rewrite of an approximate trim for replication (streamRewriteApproxSpecifier,
// streamRewriteTrimArgument): `~ n` goes out as `= <what the stream kept>`, so replicas trim
// exactly as the primary did.

import type { CommandContext } from './context.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { streamParseStrictIDOrReply } from './stream-ids.js';
import { TRIM_MAXLEN, TRIM_MINID, type StreamValue, type TrimSpec } from '../store/stream.js';
import { formatStreamId } from '../store/stream-image.js';

const ERR_MAXLEN_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';
const ERR_MAXLEN_NEGATIVE = 'ERR The MAXLEN argument must be >= 0.';
const ERR_LIMIT_NEGATIVE = 'ERR The LIMIT argument must be >= 0.';
const ERR_LIMIT_NO_STRATEGY = 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy';
const ERR_XTRIM_NO_STRATEGY = 'ERR syntax error, XTRIM must be called with a trimming strategy';
const ERR_LIMIT_NO_APPROX = 'ERR syntax error, LIMIT cannot be used without the special ~ option';

export interface AddTrimArgs {
  /** XADD: the explicit ID (when idGiven), its sequence possibly to be generated (!seqGiven). */
  id: bigint;
  idGiven: boolean;
  seqGiven: boolean;
  noMkstream: boolean;
  /** XADD: the position of the ID argument. */
  idPos: number;
  /** The trim, or null for none. */
  trim: TrimSpec | null;
  /** The position of the MAXLEN/MINID threshold argument (rewritten for replication). */
  thresholdPos: number;
}

/** Argument i is exactly one character `ch` (Redis tests opt[0] and opt[1] == '\0'). */
function isChar(c: CommandContext, i: number, ch: number): boolean {
  return c.argLength(i) === 1 && c.args.buf[c.args.start[i]] === ch;
}

/**
 * Parses XADD's (xadd true) or XTRIM's options from argument 2 on. Null after replying an error.
 * `mustObey`: the call comes from the primary (or a slot import), which may send `=` with LIMIT.
 */
export function parseAddOrTrimArgs(c: CommandContext, xadd: boolean, mustObey: boolean, nodeMaxEntries: number): AddTrimArgs | null {
  const a: AddTrimArgs = { id: 0n, idGiven: false, seqGiven: true, noMkstream: false, idPos: 0, trim: null, thresholdPos: 0 };
  let strategy = 0;
  let approx = false;
  let maxlen = 0;
  let minid = 0n;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < c.argc; i++) {
    const moreargs = c.argc - 1 - i;
    if (xadd && isChar(c, i, 42 /* * */)) break;
    if ((c.is(i, 'maxlen') || c.is(i, 'minid')) && moreargs > 0) {
      const isMaxlen = c.is(i, 'maxlen');
      if (strategy !== 0) {
        c.w.error(ERR_MAXLEN_MINID);
        return null;
      }
      approx = false;
      if (moreargs >= 2 && isChar(c, i + 1, 126 /* ~ */)) {
        approx = true;
        i++;
      } else if (moreargs >= 2 && isChar(c, i + 1, 61 /* = */)) i++;
      if (isMaxlen) {
        const n = c.int(i + 1);
        if (n === undefined) {
          c.w.error(ERR_NOT_INTEGER);
          return null;
        }
        if (n < 0) {
          c.w.error(ERR_MAXLEN_NEGATIVE);
          return null;
        }
        maxlen = n;
        strategy = TRIM_MAXLEN;
      } else {
        const p = streamParseStrictIDOrReply(c, i + 1, 0n);
        if (p === null) return null;
        minid = p.id;
        strategy = TRIM_MINID;
      }
      i++;
      a.thresholdPos = i;
    } else if (c.is(i, 'limit') && moreargs > 0) {
      const n = c.int(i + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 0) {
        c.w.error(ERR_LIMIT_NEGATIVE);
        return null;
      }
      limit = n;
      limitGiven = true;
      i++;
    } else if (xadd && c.is(i, 'nomkstream')) {
      a.noMkstream = true;
    } else if (xadd) {
      // A syntax error or a valid ID.
      const p = streamParseStrictIDOrReply(c, i, 0n, true);
      if (p === null) return null;
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      a.idGiven = true;
      break;
    } else {
      c.w.error(ERR_SYNTAX);
      return null;
    }
  }
  a.idPos = i;
  if (limit !== 0 && strategy === 0) {
    c.w.error(ERR_LIMIT_NO_STRATEGY);
    return null;
  }
  if (!xadd && strategy === 0) {
    c.w.error(ERR_XTRIM_NO_STRATEGY);
    return null;
  }
  if (mustObey) limit = 0;
  else if (limitGiven) {
    if (!approx) {
      c.w.error(ERR_LIMIT_NO_APPROX);
      return null;
    }
  } else if (approx) {
    // At most 100 nodes' worth of work unless told otherwise, capped on both sides.
    limit = 100 * nodeMaxEntries;
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else limit = 0;
  if (strategy !== 0) a.trim = { strategy: strategy as typeof TRIM_MAXLEN | typeof TRIM_MINID, maxlen, minid, approx, limit };
  return a;
}

/** The call's arguments as words, for a rewritten replication. */
export function argWords(c: CommandContext): string[] {
  const words: string[] = [];
  for (let i = 0; i < c.argc; i++) words.push(c.str(i));
  return words;
}

/**
 * Rewrites an approximate trim in `words` as Redis does: `~` becomes `=`, the threshold the
 * stream's length (MAXLEN) or its first entry's ID, tombstones included (MINID).
 */
export function rewriteApproxTrim(words: string[], a: AddTrimArgs, s: StreamValue): void {
  words[a.thresholdPos - 1] = '=';
  words[a.thresholdPos] = a.trim!.strategy === TRIM_MAXLEN ? String(s.length) : formatStreamId(s.firstEntryIdWithTombstones());
}
