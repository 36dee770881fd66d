// What a command handler sees: its arguments (offsets into a Buffer, not copies), the reply
// writer, the store and the client's selected database. One CommandContext is reused for every
// command a node runs; handlers must not keep references to it or to its arguments.

import type { CommandArgs } from '../protocol/request-parser.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Entry, ValueType } from '../store/entry.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Store } from '../store/store.js';
import { latin1, parseInteger } from '../util/bytes.js';
import type { KeyspaceEventSink } from './keyspace-events.js';
import { ERR_POSITIVE } from './errors.js';

const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** The part of a connection that data commands need. Server-level handlers use more of it. */
export interface ClientLike {
  readonly id: number;
  db: number;
  /** The client a script's commands run as (Redis's CLIENT_SCRIPT). */
  readonly inScript?: boolean;
  /**
   * Whether the client's ACL user may read every key with this call (Redis's
   * ACLUserCheckCmdWithUnrestrictedKeyAccess, which SORT's BY and GET need); absent: yes.
   */
  fullKeyAccess?(commandName: string, args: CommandArgs): boolean;
}

export class CommandContext {
  args!: CommandArgs;
  w!: ReplyWriter;
  db!: Keyspace;
  client!: ClientLike;
  /**
   * Set by a handler whose call is to be replicated as these words instead of as sent (EXPIRE as
   * PEXPIREAT with the absolute time); the dispatcher takes and clears it after the call.
   */
  replicateAs: string[] | null = null;
  /**
   * Set by a handler whose call is to be replicated as the state of its key (SET with a TTL as
   * SET key value PXAT ms, Redis's own rewrite); taken and cleared by the dispatcher.
   */
  replicateState = false;
  /** Further commands this call replicates as, after replicateAs (SPOP n as one SREM per member); see replicate(). */
  readonly replicateAlso: string[][] = [];
  /** Lowercase name of the command being run (for error messages). */
  name = '';
  /** The node running the command, opaque here: server-level handlers know its type. */
  owner: unknown = null;
  /**
   * Keyspace notifications (keyspace-events.ts): the classes enabled, 0 while none would be
   * published (the default), and where events go. Set by the server.
   */
  notifyFlags = 0;
  events: KeyspaceEventSink | null = null;

  constructor(readonly store: Store) {}

  /**
   * This call is replicated as these words (called again: these words too, the whole wrapped in
   * MULTI/EXEC as Redis's alsoPropagate does) instead of as sent.
   */
  replicate(words: string[]): void {
    if (this.replicateAs === null) this.replicateAs = words;
    else this.replicateAlso.push(words);
  }

  get argc(): number {
    return this.args.argc;
  }

  /** Argument i as a latin1 (binary-safe) string. */
  str(i: number): string {
    const a = this.args;
    return latin1(a.buf, a.start[i], a.end[i]);
  }

  /** Argument i as bytes (a view, valid only during the command). */
  bytes(i: number): Buffer {
    const a = this.args;
    return a.buf.subarray(a.start[i], a.end[i]);
  }

  argLength(i: number): number {
    return this.args.end[i] - this.args.start[i];
  }

  /** Argument i as a 64-bit integer by Redis's rules (values past 2^53 lose precision), or undefined. */
  int(i: number): number | undefined {
    const a = this.args;
    return parseInteger(a.buf, a.start[i], a.end[i]);
  }

  /**
   * The optional count of LPOP, RPOP and SPOP (`key [count]`): -1 when absent; null, with the
   * error written, when there are more arguments (`tooMany`, which differs between them) or the
   * count is not a non-negative integer.
   */
  optionalCount(tooMany: string): number | null {
    if (this.argc > 3) {
      this.w.error(tooMany);
      return null;
    }
    if (this.argc < 3) return -1;
    const n = this.int(2);
    if (n === undefined || n < 0) {
      this.w.error(ERR_POSITIVE);
      return null;
    }
    return n;
  }

  /** Case-insensitive comparison of argument i with a lowercase ASCII word, without allocating. */
  is(i: number, lowerWord: string): boolean {
    const a = this.args;
    const s = a.start[i];
    const len = a.end[i] - s;
    if (len !== lowerWord.length) return false;
    const buf = a.buf;
    for (let k = 0; k < len; k++) {
      let c = buf[s + k];
      if (c >= 65 && c <= 90) c += 32;
      if (c !== lowerWord.charCodeAt(k)) return false;
    }
    return true;
  }

  /**
   * The live entry at key for a read of a value of `type`: undefined if missing, null after
   * replying WRONGTYPE when it holds another type. Counts a hit or a miss.
   */
  readTyped(key: string, type: ValueType): Entry | undefined | null {
    const e = this.db.lookupRead(key);
    if (e !== undefined && e.type !== type) {
      this.w.error(ERR_WRONGTYPE);
      return null;
    }
    return e;
  }

  /** As readTyped, for a command that will modify the value (no hit/miss counted). */
  writeTyped(key: string, type: ValueType): Entry | undefined | null {
    const e = this.db.lookupWrite(key);
    if (e !== undefined && e.type !== type) {
      this.w.error(ERR_WRONGTYPE);
      return null;
    }
    return e;
  }

  /**
   * Emits a keyspace event (Redis's notifyKeyspaceEvent) for `key` in the client's database.
   * One integer test when the class is off; call it after the change, where Redis does.
   */
  notify(type: number, event: string, key: string): void {
    if ((this.notifyFlags & type) !== 0) this.events!.keyspaceEvent(type, event, key, this.db.id);
  }

  /** notify for the key in argument i (the key string is made only when the class is on). */
  notifyArg(type: number, event: string, i: number): void {
    if ((this.notifyFlags & type) !== 0) this.events!.keyspaceEvent(type, event, this.str(i), this.db.id);
  }

  /** notify for a key of another database (COPY ... DB). */
  notifyIn(type: number, event: string, key: string, db: number): void {
    if ((this.notifyFlags & type) !== 0) this.events!.keyspaceEvent(type, event, key, db);
  }

  /** Argument i lowercased (for option keywords and subcommand names). */
  lower(i: number): string {
    return this.str(i).toLowerCase();
  }
}
