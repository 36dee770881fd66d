// XREAD (COUNT, BLOCK, STREAMS, `$`) as Redis 7.0.15's xreadCommand replies it, and blocking on
// stream keys for it and for XREADGROUP (blockOnStreams, used by commands/stream-groups.ts).
//
// XREAD answers at once with the streams that hold an entry past the ID given for them (a map in
// RESP3, [key, entries] pairs in RESP2); with none and BLOCK it waits (server/blocking.ts) until
// a write to one of its keys leaves that stream's last ID past the waiter's ID, then answers with
// that one stream, at most COUNT entries (1000 without COUNT, Redis's
// XREAD_BLOCKED_DEFAULT_COUNT). A key deleted or overwritten meanwhile does not end an XREAD's
// wait (Redis 7.0). Inside MULTI/EXEC it answers as a timeout; from a script BLOCK is an error.

import type { CommandContext } from '../../commands/context.js';
import { CMD_MOVABLE_KEYS, CMD_READONLY, type CommandDef, type KeyFinder } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from '../../commands/errors.js';
import { STREAM_ID_MAX, streamParseStrictIDOrReply } from '../../commands/stream-ids.js';
import { replyEntries } from '../../commands/streams.js';
import { copyArgs, type CommandArgs } from '../../protocol/request-parser.js';
import { TYPE_STREAM } from '../../store/entry.js';
import type { StreamValue } from '../../store/stream.js';
import { latin1 } from '../../util/bytes.js';
import type { StreamServeFn, Waiter } from '../blocking.js';
import { clientOf, serverOf } from './util.js';

/** COUNT of a blocked XREAD given none. */
const XREAD_BLOCKED_DEFAULT_COUNT = 1000;
/** Node's timers hold at most 2^31-1 ms; a longer BLOCK waits that long (about 24 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const ERR_TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
const ERR_TIMEOUT_NEGATIVE = 'ERR timeout is negative';
const ERR_UNBALANCED = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
const ERR_GROUP_XREAD = 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.';
const ERR_NOACK_XREAD = 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.';
const ERR_GT_XREAD = 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.';

/**
 * The keys of XREAD / XREADGROUP (Redis's xreadGetKeys): after the STREAMS keyword found past the
 * options, the first half of the remaining arguments. None when the call is malformed.
 */
export const xreadKeys: KeyFinder = (args: CommandArgs, out: number[]): number => {
  let streamsPos = -1;
  for (let i = 1; i < args.argc; i++) {
    const arg = latin1(args.buf, args.start[i], args.end[i]).toLowerCase();
    if (arg === 'block' || arg === 'count') i++;
    else if (arg === 'group') i += 2;
    else if (arg === 'noack') continue;
    else if (arg === 'streams') {
      streamsPos = i;
      break;
    } else break;
  }
  const num = args.argc - streamsPos - 1;
  if (streamsPos === -1 || num === 0 || num % 2 !== 0) return 0;
  const keys = num / 2;
  for (let k = 0; k < keys; k++) out[k] = streamsPos + 1 + k;
  return keys;
};

/** Whether the calling client may block: not inside MULTI/EXEC nor a script (CLIENT_DENY_BLOCKING). */
export function clientMayBlock(c: CommandContext): boolean {
  const client = clientOf(c);
  return client.multi === null && client.inScript !== true;
}

/**
 * BLOCK's argument (getTimeoutFromObjectOrReply in milliseconds): the timeout in ms, 0 for none;
 * null after replying an error.
 */
export function parseBlockMs(c: CommandContext, i: number): number | null {
  const n = c.int(i);
  if (n === undefined) {
    c.w.error(ERR_TIMEOUT_NOT_INTEGER);
    return null;
  }
  if (n < 0) {
    c.w.error(ERR_TIMEOUT_NEGATIVE);
    return null;
  }
  return n;
}

/**
 * Blocks the calling client on stream keys until `serve` answers it, timeoutMs passes (0: never;
 * then a null array) or it is unblocked. `ids[i]` goes with `keys[i]` (a repeated key keeps its
 * first ID, as Redis's blockForKeys); `state` is kept for serve (waiter.streamState).
 */
export function blockOnStreams(c: CommandContext, keys: readonly string[], ids: readonly bigint[], timeoutMs: number, serve: StreamServeFn, state?: unknown): void {
  const uniqueKeys: string[] = [];
  const streamIds: bigint[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (uniqueKeys.includes(keys[i])) continue;
    uniqueKeys.push(keys[i]);
    streamIds.push(ids[i]);
  }
  const client = clientOf(c);
  const w: Waiter = {
    client,
    kind: TYPE_STREAM,
    name: c.name,
    args: copyArgs(c.args),
    db: client.db,
    keys: uniqueKeys,
    serve: () => null,
    front: true,
    count: -1,
    target: null,
    toFront: false,
    streamIds,
    streamServe: serve,
    streamState: state,
    timer: null,
  };
  serverOf(c).blocking.block(w, Math.min(timeoutMs, MAX_TIMER_MS));
}

/** Writes the reply's outer header for n streams: a map in RESP3, an array of pairs in RESP2. */
export function replyStreamsHeader(c: CommandContext, n: number): void {
  if (c.w.resp === 3) c.w.map(n);
  else c.w.array(n);
}

/** Writes one stream's key in a reply begun with replyStreamsHeader (the RESP2 pair header too). */
export function replyStreamKey(c: CommandContext, key: string): void {
  if (c.w.resp !== 3) c.w.array(2);
  c.w.bulk(key);
}

interface XreadState {
  count: number;
}

/** A blocked XREAD: served when its key's stream has a last ID past the waiter's. */
const serveXread: StreamServeFn = (c, key, w) => {
  const e = c.db.lookupWrite(key);
  if (e === undefined || e.type !== TYPE_STREAM) return false;
  const s = e.value as StreamValue;
  const gt = w.streamIds![w.keys.indexOf(key)];
  if (s.lastId <= gt) return false;
  replyStreamsHeader(c, 1);
  replyStreamKey(c, key);
  replyEntries(c, s.range(gt + 1n, STREAM_ID_MAX, (w.streamState as XreadState).count, false));
  return true;
};

/** XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...] */
function xreadCommand(c: CommandContext): void {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamCount = 0;
  for (let i = 1; i < c.argc; i++) {
    const moreargs = c.argc - i - 1;
    if (c.is(i, 'block') && moreargs > 0) {
      if (clientOf(c).inScript === true) {
        c.w.error(`ERR ${c.str(0)} command is not allowed with BLOCK option from scripts`);
        return;
      }
      i++;
      const t = parseBlockMs(c, i);
      if (t === null) return;
      timeout = t;
    } else if (c.is(i, 'count') && moreargs > 0) {
      i++;
      const n = c.int(i);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      count = n < 0 ? 0 : n;
    } else if (c.is(i, 'streams') && moreargs > 0) {
      streamsArg = i + 1;
      streamCount = c.argc - streamsArg;
      if (streamCount % 2 !== 0) {
        c.w.error(ERR_UNBALANCED);
        return;
      }
      streamCount /= 2;
      break;
    } else if (c.is(i, 'group') && moreargs >= 2) {
      c.w.error(ERR_GROUP_XREAD);
      return;
    } else if (c.is(i, 'noack')) {
      c.w.error(ERR_NOACK_XREAD);
      return;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const keys: string[] = [];
  const ids: bigint[] = [];
  for (let k = 0; k < streamCount; k++) {
    const key = c.str(streamsArg + k);
    const e = c.db.lookupRead(key);
    if (e !== undefined && e.type !== TYPE_STREAM) {
      c.w.error(ERR_WRONGTYPE);
      return;
    }
    const idArg = streamsArg + streamCount + k;
    const idText = c.str(idArg);
    keys.push(key);
    if (idText === '$') {
      ids.push(e === undefined ? 0n : (e.value as StreamValue).lastId);
      continue;
    }
    if (idText === '>') {
      c.w.error(ERR_GT_XREAD);
      return;
    }
    const p = streamParseStrictIDOrReply(c, idArg, 0n);
    if (p === null) return;
    ids.push(p.id);
  }
  // Serve synchronously the streams with something past their ID.
  const ready: Array<{ key: string; s: StreamValue; gt: bigint }> = [];
  for (let k = 0; k < streamCount; k++) {
    const e = c.db.lookupRead(keys[k]);
    if (e === undefined) continue;
    const s = e.value as StreamValue;
    if (s.length > 0 && s.lastValidId() > ids[k]) ready.push({ key: keys[k], s, gt: ids[k] });
  }
  if (ready.length > 0) {
    replyStreamsHeader(c, ready.length);
    for (const r of ready) {
      replyStreamKey(c, r.key);
      replyEntries(c, r.s.range(r.gt + 1n, STREAM_ID_MAX, count, false));
    }
    return;
  }
  if (timeout !== -1) {
    if (!clientMayBlock(c)) {
      c.w.nullArray();
      return;
    }
    const state: XreadState = { count: count !== 0 ? count : XREAD_BLOCKED_DEFAULT_COUNT };
    blockOnStreams(c, keys, ids, timeout, serveXread, state);
    return;
  }
  c.w.nullArray();
}

export const streamBlockCommands: CommandDef[] = [
  { name: 'xread', arity: -4, flags: CMD_READONLY | CMD_MOVABLE_KEYS, firstKey: 0, keys: xreadKeys, handler: xreadCommand },
];
