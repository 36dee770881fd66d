// Set commands (SADD ... SRANDMEMBER, SMOVE, SINTER/SUNION/SDIFF[STORE]) as Redis 7.0 replies
// them. The set value itself (SetValue: representation, encoding, iteration order) is in
// set-value.ts; its names are re-exported here for the modules that import them from this file.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { TYPE_SET, type Entry } from '../store/entry.js';
import { NOTIFY_GENERIC, NOTIFY_SET } from './keyspace-events.js';
import { SetValue, isIntMember } from './set-value.js';

export { SET_MEMBER_OVERHEAD, SET_OVERHEAD, SetValue, compareIntStrings, isIntMember } from './set-value.js';

const ERR_COUNT_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
const ERR_RANGE = 'ERR value is out of range';
/** SRANDMEMBER with a negative count repeats members: refuse unbounded replies past this. */
const MAX_RANDOM_REPLY = 10_000_000;
/** SPOP_MOVE_STRATEGY_MUL in t_set.c: when few members remain, Redis rebuilds the set from them. */
const SPOP_MOVE_STRATEGY_MUL = 5;

/** The set at key for reading; null after replying WRONGTYPE. */
function readSet(c: CommandContext, key: string): SetValue | undefined | null {
  const e = c.readTyped(key, TYPE_SET);
  return e == null ? e : (e.value as SetValue);
}

/** The set entry at key for writing; null after replying WRONGTYPE. */
function writeSet(c: CommandContext, key: string): Entry | undefined | null {
  return c.writeTyped(key, TYPE_SET);
}

function saddCommand(c: CommandContext): void {
  const key = c.str(1);
  let e = writeSet(c, key);
  if (e === null) return;
  if (e === undefined) e = c.db.create(key, TYPE_SET, new SetValue());
  const s = e.value as SetValue;
  const before = s.bytes;
  let added = 0;
  for (let i = 2; i < c.argc; i++) if (s.add(c.str(i), c.store.limits)) added++;
  if (added > 0) {
    c.db.changed(e, s.bytes - before);
    c.notify(NOTIFY_SET, 'sadd', key);
  }
  c.w.integer(added);
}

function sremCommand(c: CommandContext): void {
  const e = writeSet(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const s = e.value as SetValue;
  const before = s.bytes;
  let removed = 0;
  for (let i = 2; i < c.argc && s.size > 0; i++) if (s.remove(c.str(i))) removed++;
  if (s.size === 0) c.db.delete(e.key);
  else if (removed > 0) c.db.changed(e, s.bytes - before);
  if (removed > 0) {
    c.notify(NOTIFY_SET, 'srem', e.key);
    if (s.size === 0) c.notify(NOTIFY_GENERIC, 'del', e.key);
  }
  c.w.integer(removed);
}

function spopCommand(c: CommandContext): void {
  const count = c.optionalCount(ERR_SYNTAX);
  if (count === null) return;
  const e = writeSet(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    if (count < 0) c.w.nil();
    else c.w.set(0);
    return;
  }
  const s = e.value as SetValue;
  if (count < 0) {
    const before = s.bytes;
    const member = s.popRandom();
    c.notify(NOTIFY_SET, 'spop', e.key);
    c.w.bulk(member);
    c.replicateAs = ['SREM', e.key, member];
    if (s.size === 0) {
      c.db.delete(e.key);
      c.notify(NOTIFY_GENERIC, 'del', e.key);
    } else {
      c.db.changed(e, s.bytes - before);
    }
    return;
  }
  if (count === 0) {
    c.w.set(0);
    return;
  }
  const size = s.size;
  // Redis notifies before it replies.
  c.notify(NOTIFY_SET, 'spop', e.key);
  if (count >= size) {
    // The whole set, in its iteration order, and the key goes.
    const all = s.members();
    c.w.set(size);
    for (let i = 0; i < size; i++) c.w.bulk(all[i]);
    c.replicateAs = ['DEL', e.key];
    c.db.delete(e.key);
    c.notify(NOTIFY_GENERIC, 'del', e.key);
    return;
  }
  const before = s.bytes;
  const remaining = size - count;
  c.w.set(count);
  // Replicated as Redis does: one SREM per member popped, in the reply's order.
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count || !s.intset) {
    for (let i = 0; i < count; i++) {
      const member = s.popRandom();
      c.w.bulk(member);
      c.replicate(['SREM', e.key, member]);
    }
  } else {
    // Redis moves the `remaining` survivors to a new set and replies the old one in its
    // iteration order, which for an intset is numeric.
    const kept = new SetValue();
    for (let i = 0; i < remaining; i++) kept.add(s.popRandom());
    const popped = s.members();
    for (let i = 0; i < count; i++) {
      c.w.bulk(popped[i]);
      c.replicate(['SREM', e.key, popped[i]]);
      s.remove(popped[i]);
    }
    for (const m of kept.members()) s.add(m);
  }
  if (remaining * SPOP_MOVE_STRATEGY_MUL <= count) s.reencode(c.store.limits);
  c.db.changed(e, s.bytes - before);
}

function scardCommand(c: CommandContext): void {
  const s = readSet(c, c.str(1));
  if (s === null) return;
  c.w.integer(s === undefined ? 0 : s.size);
}

function smembersCommand(c: CommandContext): void {
  const s = readSet(c, c.str(1));
  if (s === null) return;
  if (s === undefined) {
    c.w.set(0);
    return;
  }
  const all = s.members();
  c.w.set(all.length);
  for (let i = 0; i < all.length; i++) c.w.bulk(all[i]);
}

function sismemberCommand(c: CommandContext): void {
  const s = readSet(c, c.str(1));
  if (s === null) return;
  c.w.integer(s !== undefined && s.has(c.str(2)) ? 1 : 0);
}

function smismemberCommand(c: CommandContext): void {
  const s = readSet(c, c.str(1));
  if (s === null) return;
  const argc = c.argc;
  c.w.array(argc - 2);
  for (let i = 2; i < argc; i++) c.w.integer(s !== undefined && s.has(c.str(i)) ? 1 : 0);
}

function srandmemberCommand(c: CommandContext): void {
  if (c.argc > 3) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (c.argc === 2) {
    const s = readSet(c, c.str(1));
    if (s === null) return;
    if (s === undefined) c.w.nil();
    else c.w.bulk(s.randomMember());
    return;
  }
  const n = c.int(2);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (n === -9223372036854775808 && c.str(2) === '-9223372036854775808') {
    c.w.error(ERR_COUNT_RANGE);
    return;
  }
  const s = readSet(c, c.str(1));
  if (s === null) return;
  if (s === undefined || n === 0) {
    c.w.array(0);
    return;
  }
  if (n < 0) {
    // With replacement, in draw order.
    if (-n > MAX_RANDOM_REPLY) {
      c.w.error(ERR_RANGE);
      return;
    }
    c.w.array(-n);
    for (let i = 0; i < -n; i++) c.w.bulk(s.randomMember());
    return;
  }
  const size = s.size;
  if (n >= size) {
    const all = s.members();
    c.w.array(size);
    for (let i = 0; i < size; i++) c.w.bulk(all[i]);
    return;
  }
  // Distinct members: a partial Fisher-Yates shuffle over a copy of the member list.
  const all = s.members().slice();
  c.w.array(n);
  for (let i = 0; i < n; i++) {
    const j = i + ((Math.random() * (size - i)) | 0);
    const t = all[j];
    all[j] = all[i];
    all[i] = t;
    c.w.bulk(t);
  }
}

function smoveCommand(c: CommandContext): void {
  const srcKey = c.str(1);
  const dstKey = c.str(2);
  const src = c.db.lookupWrite(srcKey);
  let dst = c.db.lookupWrite(dstKey);
  if (src === undefined) {
    c.w.integer(0);
    return;
  }
  if (src.type !== TYPE_SET || (dst !== undefined && dst.type !== TYPE_SET)) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  const member = c.str(3);
  const ss = src.value as SetValue;
  if (src === dst) {
    c.w.integer(ss.has(member) ? 1 : 0);
    return;
  }
  const srcBefore = ss.bytes;
  if (!ss.remove(member)) {
    c.w.integer(0);
    return;
  }
  if (ss.size === 0) c.db.delete(srcKey);
  else c.db.changed(src, ss.bytes - srcBefore);
  c.notify(NOTIFY_SET, 'srem', srcKey);
  if (ss.size === 0) c.notify(NOTIFY_GENERIC, 'del', srcKey);
  if (dst === undefined) dst = c.db.create(dstKey, TYPE_SET, new SetValue());
  const ds = dst.value as SetValue;
  const dstBefore = ds.bytes;
  if (ds.add(member, c.store.limits)) {
    c.db.changed(dst, ds.bytes - dstBefore);
    c.notify(NOTIFY_SET, 'sadd', dstKey);
  }
  c.w.integer(1);
}

const OP_INTER = 0;
const OP_UNION = 1;
const OP_DIFF = 2;
const EMPTY_SET = new SetValue();

/**
 * SINTER SUNION SDIFF and their STORE forms. Every key is type-checked first (a missing key is
 * an empty set). The result is built as a new set, so its encoding and iteration order are the
 * ones Redis's freshly built result set has (numeric when it is an intset), except SINTER's
 * reply, which Redis emits in the smallest input's order (again numeric for an intset).
 */
function setOperation(c: CommandContext, op: number, store: boolean): void {
  const first = store ? 2 : 1;
  const argc = c.argc;
  const sets: SetValue[] = [];
  let anyMissing = false;
  for (let i = first; i < argc; i++) {
    const e = store ? c.db.lookupWrite(c.str(i)) : c.db.lookupRead(c.str(i));
    if (e === undefined) {
      anyMissing = true;
      sets.push(EMPTY_SET);
      continue;
    }
    if (e.type !== TYPE_SET) {
      c.w.error(ERR_WRONGTYPE);
      return;
    }
    sets.push(e.value as SetValue);
  }
  const result = new SetValue();
  if (op === OP_INTER) {
    if (!anyMissing) {
      let smallest = sets[0];
      for (const s of sets) if (s.size < smallest.size) smallest = s;
      for (const m of smallest.members()) {
        let all = true;
        for (const s of sets) {
          if (s !== smallest && !s.has(m)) {
            all = false;
            break;
          }
        }
        if (all) result.add(m, c.store.limits);
      }
    }
  } else if (op === OP_UNION) {
    for (const s of sets) for (const m of s.members()) result.add(m, c.store.limits);
  } else {
    const head = sets[0];
    for (const m of head.members()) {
      let keep = true;
      for (let k = 1; k < sets.length; k++) {
        if (sets[k].has(m)) {
          keep = false;
          break;
        }
      }
      if (keep) result.add(m, c.store.limits);
    }
    // Redis picks between two algorithms by estimated work; the second copies the whole first
    // set and removes from it, so the result is a hashtable whenever that copy would have been.
    let one = 0;
    let two = 0;
    for (const s of sets) {
      if (s === EMPTY_SET) continue;
      one += head.size;
      two += s.size;
    }
    if (Math.floor(one / 2) > two) {
      result.intset = head.size <= c.store.limits.intsetEntries && head.members().every(isIntMember);
    }
  }
  // A fresh set's members() is its insertion order unless it is an intset: for SINTER that is
  // the smallest input's order, as Redis replies it.
  const order = result.members();
  if (!store) {
    c.w.set(order.length);
    for (let i = 0; i < order.length; i++) c.w.bulk(order[i]);
    return;
  }
  const dstKey = c.str(1);
  if (result.size === 0) {
    // SINTERSTORE with a missing input deletes before it replies; otherwise after.
    const early = op === OP_INTER && anyMissing;
    if (!early) c.w.integer(0);
    if (c.db.delete(dstKey)) c.notify(NOTIFY_GENERIC, 'del', dstKey);
    if (early) c.w.integer(0);
    return;
  }
  c.db.create(dstKey, TYPE_SET, result);
  c.db.modified(dstKey);
  c.w.integer(result.size);
  c.notify(NOTIFY_SET, op === OP_INTER ? 'sinterstore' : op === OP_UNION ? 'sunionstore' : 'sdiffstore', dstKey);
}

function sinterCommand(c: CommandContext): void {
  setOperation(c, OP_INTER, false);
}
function sunionCommand(c: CommandContext): void {
  setOperation(c, OP_UNION, false);
}
function sdiffCommand(c: CommandContext): void {
  setOperation(c, OP_DIFF, false);
}
function sinterstoreCommand(c: CommandContext): void {
  setOperation(c, OP_INTER, true);
}
function sunionstoreCommand(c: CommandContext): void {
  setOperation(c, OP_UNION, true);
}
function sdiffstoreCommand(c: CommandContext): void {
  setOperation(c, OP_DIFF, true);
}

const R = CMD_READONLY;
const W = CMD_WRITE;
export const setCommands: CommandDef[] = [
  { name: 'sadd', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: saddCommand },
  { name: 'srem', arity: -3, flags: W | CMD_FAST, firstKey: 1, handler: sremCommand },
  { name: 'spop', arity: -2, flags: W | CMD_FAST, firstKey: 1, handler: spopCommand },
  { name: 'scard', arity: 2, flags: R | CMD_FAST, firstKey: 1, handler: scardCommand },
  { name: 'smembers', arity: 2, flags: R, firstKey: 1, handler: smembersCommand },
  { name: 'sismember', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: sismemberCommand },
  { name: 'smismember', arity: -3, flags: R | CMD_FAST, firstKey: 1, handler: smismemberCommand },
  { name: 'srandmember', arity: -2, flags: R, firstKey: 1, handler: srandmemberCommand },
  { name: 'smove', arity: 4, flags: W | CMD_FAST, firstKey: 1, lastKey: 2, handler: smoveCommand },
  { name: 'sinter', arity: -2, flags: R, firstKey: 1, lastKey: -1, handler: sinterCommand },
  { name: 'sunion', arity: -2, flags: R, firstKey: 1, lastKey: -1, handler: sunionCommand },
  { name: 'sdiff', arity: -2, flags: R, firstKey: 1, lastKey: -1, handler: sdiffCommand },
  { name: 'sinterstore', arity: -3, flags: W | CMD_DENYOOM, firstKey: 1, lastKey: -1, handler: sinterstoreCommand },
  { name: 'sunionstore', arity: -3, flags: W | CMD_DENYOOM, firstKey: 1, lastKey: -1, handler: sunionstoreCommand },
  { name: 'sdiffstore', arity: -3, flags: W | CMD_DENYOOM, firstKey: 1, lastKey: -1, handler: sdiffstoreCommand },
];
