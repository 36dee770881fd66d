// The target side of moving a hash slot (docs/resharding.md): a connection to the slot's current
// owner that asks for the slot (`CORRAL EXPORT <slot>`) and applies what comes (slot-export.ts):
// the copy, then the forwarded key states, noting `CORRAL EXPORTED` (the copy is complete) and
// every `CORRAL MARK <n>` (what the switch waits for). The keys are written into this node's
// dataset as its own writes, so its replicas receive them before the slot becomes this node's;
// clients cannot see them here until then (the slot still routes to its owner).
//
// A lost connection fails the import: it is not resumed. The mover starts it again (which first
// drops whatever this node holds of the slot) or abandons it.
//
// The connection authenticates and uses TLS as the node's cluster links (util/link-security.ts):
// AUTH's reply (+OK) comes ahead of EXPORT's; an error there fails the import, named as refused
// credentials.

import type net from 'node:net';
import { AUTH_HINT, LINK_READ_BUFFER, LINK_READY, authNotNeeded, authRefusal, dialLink, sendsAuth, type LinkSecurity } from '../../util/link-security.js';
import { BudgetedStream, streamBudget } from '../../util/turn-budget.js';
import type { CommandArgs } from '../../protocol/request-parser.js';
import { COMMAND_READY, NEED_MORE, RequestParser } from '../../protocol/request-parser.js';
import { isWord } from '../replication/link.js';

/** What an import needs of its node. */
export interface ImportHost {
  /** A read of the stream starts / ends (the node's batch bookkeeping: clock, reply buffer). */
  beginBatch(): void;
  endBatch(): void;
  /** Stores a `CORRAL LOAD 0 (<key> <value> <expire-at>)...`'s keys as this node's writes; returns how many. */
  load(args: CommandArgs): number;
  /** Runs a key-state command (SET, RESTORE, DEL) as this node's write. */
  apply(args: CommandArgs): void;
  /** This node's replication offset (what its replicas must reach to hold what was applied). */
  offset(): number;
  log(line: string): void;
  /** The import's copy is over (it streams the slot's writes, failed or closed), once. */
  copyEnded(imp: SlotImport): void;
}

/**
 * Parsers of finished imports, kept for the next ones: a move imports thousands of slots, each
 * on its own connection (a batch of 32, four copying at once), and a new parser grows its accumulation buffer
 * in fresh memory: page faults (~3 ms per MB on a VM) that cost the importer ~10% of its CPU
 * during an add-shard.
 */
const spareParsers: RequestParser[] = [];
const SPARE_PARSERS = 64;
/** A parser holding more than this is not kept (the copy's commands are ~32 KB: slot-export.ts). */
const SPARE_PARSER_BYTES = 256 * 1024;
const PARSER_LIMITS = { maxBulkLength: 1 << 30, maxQueryBuffer: 2 ** 40 };

const EMPTY = Buffer.alloc(0);

export type ImportState = 'connecting' | 'copying' | 'streaming' | 'failed' | 'closed';

export class SlotImport {
  state: ImportState = 'connecting';
  /** Keys the source said the slot held, keys received in the copy, the last mark applied. */
  keysTotal = -1;
  keysCopied = 0;
  mark = 0;
  /** This node's replication offset right after it applied `mark`. */
  markOffset = 0;
  bytesReceived = 0;
  error = '';
  readonly startedAt = performance.now();
  private socket: net.Socket | null = null;
  private parser: RequestParser | null = null;
  private head = EMPTY;
  /** AUTH's reply is still to come ahead of EXPORT's. */
  private authPending = false;
  /** Called when the mark moves (the switch waits on it). */
  onMark: (() => void) | null = null;
  private copyOver = false;

  constructor(
    readonly slot: number,
    readonly sourceHost: string,
    readonly sourcePort: number,
    private readonly host: ImportHost,
    private readonly security?: LinkSecurity,
  ) {}

  start(): void {
    // Reads land in one buffer shared by every import (Node's onread option): a move reads
    // hundreds of MB, and a fresh 64 KB Buffer per read was garbage to collect and fresh memory
    // to fault in. Each read is consumed (the parser copies what it keeps) before the next.
    this.authPending = sendsAuth(this.security);
    const socket = dialLink(this.sourceHost, this.sourcePort, this.security, {
      onread: {
        buffer: LINK_READ_BUFFER,
        callback: (length: number, buf: Uint8Array): boolean => {
          if (this.socket !== socket) return true;
          this.bytesReceived += length;
          stream.read(buf as Buffer, length);
          return true;
        },
      },
    });
    // The stream's time per turn is bounded (util/turn-budget.ts), so the node's clients are
    // answered while a slot's keys arrive.
    const stream = new BudgetedStream(
      socket,
      (chunk, length) => this.applyRead(chunk, length),
      () => this.socket === socket,
    );
    this.socket = socket;
    socket.once(LINK_READY, () => socket.write(`*3\r\n$6\r\nCORRAL\r\n$6\r\nEXPORT\r\n$${String(this.slot).length}\r\n${this.slot}\r\n`));
    socket.once('error', (err) => this.fail(err.message));
    socket.once('close', () => this.fail('connection closed by the source'));
  }

  /** Ends the import (the slot is now this node's, or the move was called off). */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.state = 'closed';
    this.socket?.destroy();
    this.socket = null;
    this.releaseParser();
    this.endCopy();
  }

  private endCopy(): void {
    if (this.copyOver) return;
    this.copyOver = true;
    this.host.copyEnded(this);
  }

  private fail(message: string): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.state = 'failed';
    this.error = message;
    this.socket?.destroy();
    this.socket = null;
    this.releaseParser();
    this.host.log(`import of slot ${this.slot} from ${this.sourceHost}:${this.sourcePort} failed: ${message}`);
    this.endCopy();
    this.onMark?.();
  }

  private releaseParser(): void {
    const p = this.parser;
    if (p === null) return;
    this.parser = null;
    p.reset();
    if (spareParsers.length < SPARE_PARSERS && p.accumulatorCapacity <= SPARE_PARSER_BYTES) spareParsers.push(p);
  }

  /** Applies a read (or, with length 0, what the last one left); true if the turn's budget stopped it with commands left. */
  private applyRead(chunk: Buffer, length: number): boolean {
    try {
      return this.onData(chunk, length);
    } catch (err) {
      this.fail((err as Error).message);
      return false;
    }
  }

  private onData(chunk: Buffer, length: number): boolean {
    if (this.parser === null) {
      // The first line: +EXPORT <slot> <keys>, or an error. (Only the line is decoded: the
      // chunk's rest, up to 64 KB of the copy, is fed to the parser as it is.)
      if (this.head.length > 0) {
        chunk = Buffer.concat([this.head, chunk.subarray(0, length)]);
        length = chunk.length;
      }
      const eol = chunk.subarray(0, length).indexOf('\r\n');
      if (eol < 0) {
        if (length > 1024) throw new Error('no reply line from the source');
        this.head = Buffer.from(chunk.subarray(0, length));
        return false;
      }
      const line = chunk.toString('latin1', 0, eol);
      if (this.authPending) {
        this.authPending = false;
        if (line.startsWith('-') && !authNotNeeded(line)) throw new Error(`${authRefusal('the source', this.security, line.slice(1))}: ${AUTH_HINT}`);
        this.head = EMPTY;
        return eol + 2 < length && this.onData(chunk.subarray(eol + 2, length), length - eol - 2);
      }
      const words = line.split(' ');
      if (words[0] !== '+EXPORT' || Number(words[1]) !== this.slot) throw new Error(`the source answered ${line}`);
      this.keysTotal = Number(words[2]);
      this.state = 'copying';
      this.parser = spareParsers.pop() ?? new RequestParser(PARSER_LIMITS);
      this.head = EMPTY;
      if (eol + 2 === length) return false;
      chunk = chunk.subarray(eol + 2, length);
      length = chunk.length;
    }
    const p = this.parser;
    if (length > 0) p.feed(chunk, length);
    const markBefore = this.mark;
    let r: number;
    let left = false;
    this.host.beginBatch();
    try {
      while ((r = p.next()) === COMMAND_READY) {
        this.command(p);
        if (this.parser !== p) break; // the command ended the import (its parser is released)
        if (streamBudget.spentAfter(p.rawEnd - p.rawStart)) {
          left = true;
          break;
        }
      }
    } finally {
      this.host.endBatch();
    }
    if (this.parser !== p) return false;
    if (left) p.preserve(); // the read's rest, applied at the end of the turn
    else if (r !== NEED_MORE) throw new Error(`bad stream from the source: ${p.error || 'query buffer full'}`);
    if (this.mark !== markBefore) this.onMark?.();
    return left;
  }

  private command(a: RequestParser): void {
    if (isWord(a, 0, 'corral') && a.argc >= 2) {
      if (isWord(a, 1, 'load')) this.keysCopied += this.host.load(a);
      else if (isWord(a, 1, 'exported')) {
        this.state = 'streaming';
        this.endCopy();
      }
      else if (isWord(a, 1, 'mark') && a.argc === 3) {
        this.mark = Number(a.buf.toString('latin1', a.start[2], a.end[2]));
        this.markOffset = this.host.offset();
      }
      else throw new Error('unexpected CORRAL command from the source');
      return;
    }
    if (isWord(a, 0, 'select')) return; // the slot's keys live in database 0 (cluster mode)
    // Keys counted: whole ones (a big key's pieces, big-key-copy.ts, count as its SET at most).
    if (this.state === 'copying' && (isWord(a, 0, 'set') || isWord(a, 0, 'restore'))) this.keysCopied++;
    this.host.apply(a);
  }
}
