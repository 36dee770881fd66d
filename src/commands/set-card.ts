// SINTERCARD numkeys key [key ...] [LIMIT limit], as Redis 7.0.15's sinterCardCommand and
// sinterGenericCommand (cardinality only): the size of the intersection of sets, counted without
// building it, and stopped once it reaches the limit (0: none).
//
// Order of checks, as Redis: numkeys (an integer >= 1, no more than the arguments left), the
// options, then the keys in order (a missing key makes the answer 0 but the later keys are still
// type-checked: WRONGTYPE wins).

import type { CommandContext } from './context.js';
import { CMD_MOVABLE_KEYS, CMD_READONLY, type CommandDef } from './table.js';
import { ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import type { SetValue } from './sets.js';
import { optIs } from './strings.js';
import { numkeysKeys } from './zset-algebra.js';
import { TYPE_SET } from '../store/entry.js';

const ERR_NUMKEYS = 'ERR numkeys should be greater than 0';
const ERR_TOO_MANY_KEYS = "ERR Number of keys can't be greater than number of args";
const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

function bySize(a: SetValue, b: SetValue): number {
  return a.size - b.size;
}

function sintercardCommand(c: CommandContext): void {
  const argc = c.argc;
  const numkeys = c.int(1);
  if (numkeys === undefined || numkeys < 1) return c.w.error(ERR_NUMKEYS);
  if (numkeys > argc - 2) return c.w.error(ERR_TOO_MANY_KEYS);
  let limit = 0;
  for (let j = 2 + numkeys; j < argc; j++) {
    if (optIs(c, j, 'limit') && j < argc - 1) {
      const l = c.int(++j);
      if (l === undefined || l < 0) return c.w.error(ERR_LIMIT_NEGATIVE);
      limit = l;
    } else {
      return c.w.error(ERR_SYNTAX);
    }
  }

  const sets: SetValue[] = [];
  let empty = false;
  for (let i = 0; i < numkeys; i++) {
    const e = c.db.lookupRead(c.str(2 + i));
    if (e === undefined) {
      empty = true;
      continue;
    }
    if (e.type !== TYPE_SET) return c.w.error(ERR_WRONGTYPE);
    sets.push(e.value as SetValue);
  }
  if (empty) return c.w.integer(0);

  // Walk the smallest set, probing the others.
  sets.sort(bySize);
  const smallest = sets[0];
  let count = 0;
  for (const m of smallest.members()) {
    let k = 1;
    while (k < sets.length && (sets[k] === smallest || sets[k].has(m))) k++;
    if (k < sets.length) continue;
    if (++count === limit) break;
  }
  c.w.integer(count);
}

export const setCardCommands: CommandDef[] = [
  { name: 'sintercard', arity: -3, flags: CMD_READONLY | CMD_MOVABLE_KEYS, firstKey: 2, lastKey: 2, keys: numkeysKeys, handler: sintercardCommand },
];
