// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence of
// two string values, as Redis 7.0.15's lcsCommand (t_string.c) computes and replies it.
//
// Algorithm (Redis's, kept step for step since ties decide which LCS is replied): the classic
// dynamic-programming table T[i][j] = LCS length of a[0..i) and b[0..j), filled row by row; then
// a walk back from (alen, blen): on equal bytes the byte is part of the LCS and both indexes step
// back, otherwise the index whose step keeps the longer LCS steps back (b's on a tie). Runs of
// matches that are contiguous in both strings form the IDX ranges, emitted from the end of the
// strings to their start; MINMATCHLEN filters them by length.
//
// The table is what limits LCS: Redis refuses when its (alen+1)*(blen+1) 4-byte cells exceed
// proto-max-bulk-len, and so does corral (with the same count, although it keeps 2-byte cells
// when no LCS length can pass 65535). Missing keys are empty strings; other types are an error
// checked before the options.

import type { CommandContext } from './context.js';
import { CMD_READONLY, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { optIs } from './strings.js';
import { TYPE_STRING } from '../store/entry.js';

const ERR_NOT_STRINGS = 'ERR The specified keys must contain string values';
const ERR_LEN_AND_IDX = 'ERR If you want both the length and indexes, please just use IDX.';
const ERR_TOO_LONG = 'ERR String too long for LCS';
const ERR_TABLE_LIMIT = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
const ERR_TABLE_ALLOC = 'ERR Insufficient memory, failed allocating transient memory for LCS';
const UINT32_MAX = 0xffffffff;

type Table = Uint16Array | Uint32Array;

/** The filled table, (alen+1) rows of (blen+1) cells; null if it could not be allocated. */
function lcsTable(a: Buffer, b: Buffer): Table | null {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  let t: Table;
  try {
    t = Math.min(alen, blen) <= 0xffff ? new Uint16Array((alen + 1) * w) : new Uint32Array((alen + 1) * w);
  } catch {
    return null;
  }
  // Row 0 and column 0 stay 0 (an empty prefix has an empty LCS).
  for (let i = 1; i <= alen; i++) {
    const ca = a[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ca === b[j - 1]) {
        t[row + j] = t[prev + j - 1] + 1;
      } else {
        const up = t[prev + j];
        const left = t[row + j - 1];
        t[row + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

function lcsCommand(c: CommandContext): void {
  const argc = c.argc;
  const ea = c.db.lookupRead(c.str(1));
  const eb = c.db.lookupRead(c.str(2));
  if ((ea !== undefined && ea.type !== TYPE_STRING) || (eb !== undefined && eb.type !== TYPE_STRING)) {
    return c.w.error(ERR_NOT_STRINGS);
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argc; j++) {
    if (optIs(c, j, 'idx')) getIdx = true;
    else if (optIs(c, j, 'len')) getLen = true;
    else if (optIs(c, j, 'withmatchlen')) withMatchLen = true;
    else if (optIs(c, j, 'minmatchlen') && j < argc - 1) {
      const n = c.int(++j);
      if (n === undefined) return c.w.error(ERR_NOT_INTEGER);
      minMatchLen = n < 0 ? 0 : n;
    } else {
      return c.w.error(ERR_SYNTAX);
    }
  }
  if (getLen && getIdx) return c.w.error(ERR_LEN_AND_IDX);

  const a = Buffer.from(ea === undefined ? '' : (ea.value as string), 'latin1');
  const b = Buffer.from(eb === undefined ? '' : (eb.value as string), 'latin1');
  const alen = a.length;
  const blen = b.length;
  if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) return c.w.error(ERR_TOO_LONG);
  if ((alen + 1) * (blen + 1) * 4 > c.store.maxStringLength) return c.w.error(ERR_TABLE_LIMIT);
  const t = lcsTable(a, b);
  if (t === null) return c.w.error(ERR_TABLE_ALLOC);
  const w = blen + 1;
  const total = t[alen * w + blen];

  if (getLen) return c.w.integer(total);

  // The walk back: the LCS bytes from last to first, and the ranges of contiguous matches.
  // aStart === alen means no range is open.
  const result = Buffer.allocUnsafe(total);
  const ranges: number[] = [];
  let idx = total;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        // Extends the open range backwards.
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      // The first byte of either string: the walk ends here.
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j] > t[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }

  if (!getIdx) return c.w.bulkBytes(result);
  c.w.map(2);
  c.w.bulk('matches');
  c.w.array(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    c.w.array(withMatchLen ? 3 : 2);
    c.w.array(2);
    c.w.integer(ranges[k]);
    c.w.integer(ranges[k + 1]);
    c.w.array(2);
    c.w.integer(ranges[k + 2]);
    c.w.integer(ranges[k + 3]);
    if (withMatchLen) c.w.integer(ranges[k + 4]);
  }
  c.w.bulk('len');
  c.w.integer(total);
}

export const lcsCommands: CommandDef[] = [{ name: 'lcs', arity: -3, flags: CMD_READONLY, firstKey: 1, lastKey: 2, handler: lcsCommand }];
