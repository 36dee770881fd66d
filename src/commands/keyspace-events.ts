// Keyspace notifications' vocabulary (Redis 7.0's notify.c and server.h): the event classes of
// notify-keyspace-events, the flag string's parser and canonical form, and the narrow sink
// through which commands (CommandContext.notify) and the store's hooks hand events to the node,
// which publishes them (server/keyspace-notify.ts). Nothing here knows of pub/sub.

/** `__keyspace@<db>__:<key>` messages (K). */
export const NOTIFY_KEYSPACE = 1 << 0;
/** `__keyevent@<db>__:<event>` messages (E). */
export const NOTIFY_KEYEVENT = 1 << 1;
/** g: DEL, EXPIRE, RENAME... */
export const NOTIFY_GENERIC = 1 << 2;
/** $: string commands. */
export const NOTIFY_STRING = 1 << 3;
/** l: list commands. */
export const NOTIFY_LIST = 1 << 4;
/** s: set commands. */
export const NOTIFY_SET = 1 << 5;
/** h: hash commands. */
export const NOTIFY_HASH = 1 << 6;
/** z: sorted set commands. */
export const NOTIFY_ZSET = 1 << 7;
/** x: a key expired (lazily or by the active cycle). */
export const NOTIFY_EXPIRED = 1 << 8;
/** e: a key was evicted (maxmemory). */
export const NOTIFY_EVICTED = 1 << 9;
/** t: stream commands (corral has none; the class is accepted and kept). */
export const NOTIFY_STREAM = 1 << 10;
/** m: a read missed (excluded from A, as Redis). */
export const NOTIFY_KEY_MISS = 1 << 11;
/** d: module events (corral has no modules; accepted and kept). */
export const NOTIFY_MODULE = 1 << 13;
/** n: a key was added (excluded from A, as Redis). */
export const NOTIFY_NEW = 1 << 14;
/** A: every class but m and n. */
export const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

/** Redis's CONFIG SET error for a bad class character. */
export const ERR_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** Redis's keyspaceEventsStringToFlags: the classes a flag string names, or -1 for a bad character. */
export function keyspaceEventsStringToFlags(classes: string): number {
  let flags = 0;
  for (let i = 0; i < classes.length; i++) {
    switch (classes[i]) {
      case 'A': flags |= NOTIFY_ALL; break;
      case 'g': flags |= NOTIFY_GENERIC; break;
      case '$': flags |= NOTIFY_STRING; break;
      case 'l': flags |= NOTIFY_LIST; break;
      case 's': flags |= NOTIFY_SET; break;
      case 'h': flags |= NOTIFY_HASH; break;
      case 'z': flags |= NOTIFY_ZSET; break;
      case 'x': flags |= NOTIFY_EXPIRED; break;
      case 'e': flags |= NOTIFY_EVICTED; break;
      case 'K': flags |= NOTIFY_KEYSPACE; break;
      case 'E': flags |= NOTIFY_KEYEVENT; break;
      case 't': flags |= NOTIFY_STREAM; break;
      case 'm': flags |= NOTIFY_KEY_MISS; break;
      case 'd': flags |= NOTIFY_MODULE; break;
      case 'n': flags |= NOTIFY_NEW; break;
      // A C string: Redis stops at a NUL byte.
      case '\0': return flags;
      default: return -1;
    }
  }
  return flags;
}

/** Redis's keyspaceEventsFlagsToString: the canonical flag string (what CONFIG GET shows). */
export function keyspaceEventsFlagsToString(flags: number): string {
  let res = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    res += 'A';
  } else {
    if (flags & NOTIFY_GENERIC) res += 'g';
    if (flags & NOTIFY_STRING) res += '$';
    if (flags & NOTIFY_LIST) res += 'l';
    if (flags & NOTIFY_SET) res += 's';
    if (flags & NOTIFY_HASH) res += 'h';
    if (flags & NOTIFY_ZSET) res += 'z';
    if (flags & NOTIFY_EXPIRED) res += 'x';
    if (flags & NOTIFY_EVICTED) res += 'e';
    if (flags & NOTIFY_STREAM) res += 't';
    if (flags & NOTIFY_MODULE) res += 'd';
    if (flags & NOTIFY_NEW) res += 'n';
  }
  if (flags & NOTIFY_KEYSPACE) res += 'K';
  if (flags & NOTIFY_KEYEVENT) res += 'E';
  if (flags & NOTIFY_KEY_MISS) res += 'm';
  return res;
}

/**
 * The flags a node acts on for a configured value: 0 unless K or E is set (no channel would
 * get a message), so that a single test of the class tells a command whether to emit.
 */
export function activeKeyspaceFlags(flags: number): number {
  return flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) ? flags : 0;
}

/** Where CommandContext.notify sends an event whose class is enabled (the node's publisher). */
export interface KeyspaceEventSink {
  /** Publishes `event` for `key` (latin1, one char per byte) in database `db`. */
  keyspaceEvent(type: number, event: string, key: string, db: number): void;
}
