// The target side of moving a hash slot (docs/resharding.md): a connection to the slot's current
// owner that asks for the slot (`CORRAL EXPORT <slot>`) and applies what comes (slot-export.ts):
// the copy, then the forwarded key states, noting `CORRAL EXPORTED` (the copy is complete) and
// every `CORRAL MARK <n>` (what the switch waits for). The keys are written into this node's
// dataset as its own writes, so its replicas receive them before the slot becomes this node's;
// clients cannot see them here until then (the slot still routes to its owner).
//
// A lost connection fails the import: it is not resumed. The mover starts it again (which first
// drops whatever this node holds of the slot) or abandons it.

import net from 'node:net';
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
}

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
  private head = '';
  /** Called when the mark moves (the switch waits on it). */
  onMark: (() => void) | null = null;

  constructor(
    readonly slot: number,
    readonly sourceHost: string,
    readonly sourcePort: number,
    private readonly host: ImportHost,
  ) {}

  start(): void {
    const socket = net.connect({ host: this.sourceHost, port: this.sourcePort });
    socket.setNoDelay(true);
    this.socket = socket;
    socket.once('connect', () => socket.write(`*3\r\n$6\r\nCORRAL\r\n$6\r\nEXPORT\r\n$${String(this.slot).length}\r\n${this.slot}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.bytesReceived += chunk.length;
      try {
        this.onData(chunk);
      } catch (err) {
        this.fail((err as Error).message);
      }
    });
    socket.once('error', (err) => this.fail(err.message));
    socket.once('close', () => this.fail('connection closed by the source'));
  }

  /** Ends the import (the slot is now this node's, or the move was called off). */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.state = 'closed';
    this.socket?.destroy();
    this.socket = null;
  }

  private fail(message: string): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.state = 'failed';
    this.error = message;
    this.socket?.destroy();
    this.socket = null;
    this.host.log(`import of slot ${this.slot} from ${this.sourceHost}:${this.sourcePort} failed: ${message}`);
    this.onMark?.();
  }

  private onData(chunk: Buffer): void {
    if (this.parser === null) {
      // The first line: +EXPORT <slot> <keys>, or an error.
      const text = this.head + chunk.toString('latin1');
      const eol = text.indexOf('\r\n');
      if (eol < 0) {
        if (text.length > 1024) throw new Error('no reply line from the source');
        this.head = text;
        return;
      }
      const line = text.slice(0, eol);
      const words = line.split(' ');
      if (words[0] !== '+EXPORT' || Number(words[1]) !== this.slot) throw new Error(`the source answered ${line}`);
      this.keysTotal = Number(words[2]);
      this.state = 'copying';
      this.parser = new RequestParser({ maxBulkLength: 1 << 30, maxQueryBuffer: 2 ** 40 });
      const rest = Buffer.from(text.slice(eol + 2), 'latin1');
      if (rest.length === 0) return;
      chunk = rest;
    }
    const p = this.parser;
    p.feed(chunk, chunk.length);
    const markBefore = this.mark;
    let r: number;
    this.host.beginBatch();
    try {
      while ((r = p.next()) === COMMAND_READY) this.command(p);
    } finally {
      this.host.endBatch();
    }
    if (r !== NEED_MORE) throw new Error(`bad stream from the source: ${p.error || 'query buffer full'}`);
    if (this.mark !== markBefore) this.onMark?.();
  }

  private command(a: RequestParser): void {
    if (isWord(a, 0, 'corral') && a.argc >= 2) {
      if (isWord(a, 1, 'load')) this.keysCopied += this.host.load(a);
      else if (isWord(a, 1, 'exported')) this.state = 'streaming';
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
