// getOrLoad's hit path: CACHE.GET sent as a self-settling client record (CacheRead; see
// SettlingCommand in src/client/command.ts). The client hands the reply to the record in the
// reply's turn and resolves its own promise with what the record returns, and getOrLoad returns
// that promise: a hit costs no promise, await, reaction or closure of the SDK's, and no Read,
// Envelope or Buffer object. The reply is read as latin1 text (one char per byte: the header's
// bytes are its char codes) and plainHit() parses the common envelope (no tags, no version
// stamp, an ASCII JSON payload) straight from that text. Any other envelope, and every reply that
// is not a fresh hit, is turned back into bytes (replyBytes) and goes to the engine's general
// decision (engine.ts settleRead -> decide), whose result (a value or a promise, which the
// client's promise adopts) is the caller's.
//
// The engine takes this path only when nothing needs a turn of its own before the decision: the
// client can issue settling records, the breaker is closed, there is no cacheTimeout (its timer
// races the reply) and no near-cache (looked up first), and the call has no tags (their
// versions are read beside the CACHE.GET). Everything else runs engine.ts flow(), as before.

import { BulkMode } from '../protocol/reply-decoder.js';
import { Command, Reply, type SettlingCommand } from '../client/command.js';
import { NOT_KEPT, type DecodedValues } from './decoded.js';
import { F_ASCII, F_JSON, FORMAT, HEADER, MAGIC } from './envelope.js';
import type { Resolved } from './options.js';
import type { Loader } from './run-loader.js';

/** plainHit(): not the plain kind; the general path decides. */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

/** What a CacheRead settles through (the engine). */
export interface ReadHost {
  /** The caller's value for a CACHE.GET reply (or a promise of it). */
  settleRead(read: CacheRead, reply: unknown): unknown;
  /** The caller's value when the CACHE.GET failed (a promise: the call fails open). */
  readFailed(read: CacheRead, error: Error): unknown;
}

/** One getOrLoad flight's CACHE.GET k lease-ms, with what its decision needs. */
export class CacheRead extends Command implements SettlingCommand {
  declare readonly reply: Reply.Settle;

  constructor(
    readonly host: ReadHost,
    /** The key with the cache's prefix (sent, and the single-flight key). */
    readonly k: string,
    /** The caller's key (events). */
    readonly key: string,
    readonly loader: Loader<unknown>,
    readonly o: Resolved,
  ) {
    super(['CACHE.GET', k, o.leaseMs], -1, Reply.Settle, BulkMode.Latin1);
  }

  settle(reply: unknown): unknown {
    return this.host.settleRead(this, reply);
  }

  settleError(error: Error): unknown {
    return this.host.readFailed(this, error);
  }
}

/**
 * The value of a fresh hit, given as latin1 text (one char per byte), if its envelope is the
 * plain kind and usable under `o`: no tags, no version stamp asked or stored, an ASCII JSON
 * payload (F_JSON | F_ASCII: its latin1 text is its utf8 text, so it parses as it is, with no
 * Buffer made). NOT_PLAIN otherwise, also for a payload that does not parse (the general path
 * then finds the entry unusable).
 */
export function plainHit(s: string, o: Resolved): unknown {
  return isPlain(s, o) ? parsePlain(s) : NOT_PLAIN;
}

/**
 * plainHit() for a cache with frozen values (decoded.ts): the value already decoded from these
 * exact bytes for key k if there is one, else the text parsed, deep-frozen and kept.
 */
export function plainHitKept(s: string, o: Resolved, k: string, kept: DecodedValues): unknown {
  if (!isPlain(s, o)) return NOT_PLAIN;
  const v = kept.lookup(k, s);
  if (v !== NOT_KEPT) return v;
  const parsed = parsePlain(s);
  return parsed === NOT_PLAIN ? NOT_PLAIN : kept.keep(k, s, parsed);
}

function isPlain(s: string, o: Resolved): boolean {
  return (
    s.length >= HEADER &&
    s.charCodeAt(0) === MAGIC &&
    s.charCodeAt(1) === FORMAT &&
    s.charCodeAt(2) === PLAIN_JSON &&
    s.charCodeAt(3) === 0 &&
    s.charCodeAt(14) === 0 &&
    s.charCodeAt(15) === 0 &&
    o.version === undefined
  );
}

function parsePlain(s: string): unknown {
  try {
    return JSON.parse(s.slice(HEADER));
  } catch {
    return NOT_PLAIN;
  }
}

const PLAIN_JSON = F_JSON | F_ASCII;

/** stored-at of an envelope held as latin1 text (at least HEADER chars). */
export function storedAtOfText(s: string): number {
  return (
    s.charCodeAt(4) * 2 ** 40 +
    s.charCodeAt(5) * 2 ** 32 +
    s.charCodeAt(6) * 2 ** 24 +
    s.charCodeAt(7) * 2 ** 16 +
    s.charCodeAt(8) * 2 ** 8 +
    s.charCodeAt(9)
  );
}

/** delta of an envelope held as latin1 text (at least HEADER chars). */
export function deltaOfText(s: string): number {
  return s.charCodeAt(10) * 2 ** 24 + s.charCodeAt(11) * 2 ** 16 + s.charCodeAt(12) * 2 ** 8 + s.charCodeAt(13);
}

/** A CACHE.GET reply read in latin1 with its values as Buffers again (their exact bytes). */
export function replyBytes(reply: unknown): unknown {
  if (typeof reply === 'string') return Buffer.from(reply, 'latin1');
  if (Array.isArray(reply) && typeof reply[1] === 'string') reply[1] = Buffer.from(reply[1], 'latin1');
  return reply;
}
