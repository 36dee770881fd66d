// String commands that read or edit part of a value: APPEND, STRLEN, GETRANGE/SUBSTR and
// SETRANGE (registered in strings.ts's table).
//
// APPEND and SETRANGE edit the value's bytes in place (Keyspace.openStringBytes): a large value
// grown piece by piece (a big string moved in pieces, a log appended to) is copied O(log n)
// times in all, not once per command.

import type { CommandContext } from './context.js';
import { ERR_NOT_INTEGER, ERR_OFFSET_RANGE, ERR_STRING_TOO_LONG, ERR_WRONGTYPE } from './errors.js';
import { TYPE_STRING } from '../store/entry.js';
import { NOTIFY_STRING } from './keyspace-events.js';
import { readString } from './string-args.js';

/** The longest string V8 can hold: SETRANGE/APPEND past it would throw, so they are refused. */
const MAX_JS_STRING = (1 << 29) - 24;

/** The live string id of argument 1 for a write, -1 if missing, or -2 after replying WRONGTYPE. */
function findStringForWrite(c: CommandContext): number {
  const a = c.args;
  const id = c.db.findWrite(a.buf, a.start[1], a.end[1]);
  if (id >= 0 && c.db.typeOf(id) !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return -2;
  }
  return id;
}

/** Copies argument `arg` into the string id's bytes at `offset`, growing it to at least `minLen` first. */
function writeBytesAt(c: CommandContext, id: number, arg: number, offset: number, minLen: number, created: boolean): void {
  const a = c.args;
  const db = c.db;
  const grew = db.openStringBytes(id, minLen, c.store.maxStringLength);
  db.markRaw(id); // as Redis's unshared (raw) value
  const t = db.table;
  a.buf.copy(t.vbuf, t.vstart + offset, a.start[arg], a.end[arg]);
  if (!created) db.stringBytesEdited(id, grew);
}

export function appendCommand(c: CommandContext): void {
  const a = c.args;
  const id = findStringForWrite(c);
  if (id === -2) return;
  const add = a.end[2] - a.start[2];
  if (id < 0) {
    c.db.setStringBytes(a.buf, a.start[1], a.end[1], a.buf, a.start[2], a.end[2], 0);
    c.notifyArg(NOTIFY_STRING, 'append', 1);
    c.w.integer(add);
    return;
  }
  const vlen = c.db.table.valueLength(id);
  const total = vlen + add;
  if (total > c.store.maxStringLength || total > MAX_JS_STRING) {
    c.w.error(ERR_STRING_TOO_LONG);
    return;
  }
  writeBytesAt(c, id, 2, vlen, total, false);
  c.notifyArg(NOTIFY_STRING, 'append', 1);
  c.w.integer(total);
}

export function strlenCommand(c: CommandContext): void {
  const v = readString(c, c.str(1));
  if (v !== null) c.w.integer(v === undefined ? 0 : v.length);
}

/** GETRANGE and SUBSTR: Redis 7.0's index rules, including `0 -100` returning the first byte. */
export function getrangeCommand(c: CommandContext): void {
  let start = c.int(2);
  let end = c.int(3);
  if (start === undefined || end === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const v = readString(c, c.str(1));
  if (v === null) return;
  if (v === undefined) {
    c.w.bulk('');
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.w.bulk('');
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.w.bulk('');
  else c.w.bulk(v.substring(start, end + 1));
}

export function setrangeCommand(c: CommandContext): void {
  const offset = c.int(2);
  if (offset === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (offset < 0) {
    c.w.error(ERR_OFFSET_RANGE);
    return;
  }
  const a = c.args;
  let id = findStringForWrite(c);
  if (id === -2) return;
  const vlen = a.end[3] - a.start[3];
  const olen = id < 0 ? 0 : c.db.table.valueLength(id);
  if (vlen === 0) {
    c.w.integer(olen);
    return;
  }
  if (offset + vlen > c.store.maxStringLength || offset + vlen > MAX_JS_STRING) {
    c.w.error(ERR_STRING_TOO_LONG);
    return;
  }
  const created = id < 0;
  if (created) id = c.db.setStringBytes(a.buf, a.start[1], a.end[1], a.buf, 0, 0, 0);
  const total = Math.max(olen, offset + vlen);
  writeBytesAt(c, id, 3, offset, total, created);
  c.notifyArg(NOTIFY_STRING, 'setrange', 1);
  c.w.integer(total);
}
