// A node's part in moving hash slots between primaries (docs/resharding.md): the slots it
// exports (slot-export.ts: the importer connected with CORRAL EXPORT), the slots it imports
// (slot-import.ts: CORRAL IMPORT made it connect to the owner), the slots whose writes are paused
// for a switch (CORRAL SLOTPAUSE), and the removal of a slot's keys once the slot has moved away.
//
// The switch, as the mover drives it: SLOTPAUSE on the owner (writes to the slot answer
// TRYAGAIN, which clients retry; reads are still served) writes a mark into the export stream;
// the importer reports the mark applied (CORRAL MIGRATIONS); the mover publishes the topology
// with the slot on the importer's shard (epoch + 1). When a node applies that document, the old
// owner ends the export and deletes the slot's keys a few hundred per millisecond (each a DEL
// for its replicas; clients are redirected by MOVED meanwhile), and the new owner ends the
// import. A pause that no topology follows ends by itself at its deadline, and writes resume
// on the old owner. Nothing is lost if the importer dies: the owner kept every key.

import { performance } from 'node:perf_hooks';
import type { Command } from '../commands/table.js';
import { CMD_WRITE, CommandTable } from '../commands/table.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { keySlotOf } from '../cluster/slot.js';
import { latin1, parseInteger } from '../util/bytes.js';
import { SlotExport, type ExportConnection } from '../cluster/migration/slot-export.js';
import { SlotImport, type ImportHost } from '../cluster/migration/slot-import.js';
import { ByteThrottle } from '../cluster/migration/byte-throttle.js';
import { LentBuffers } from '../cluster/migration/lent-buffers.js';
import { ExportPacer } from '../cluster/migration/export-pacer.js';
import { SLOT_COUNT } from '../cluster/slot.js';
import { internalClient, type Client } from './client.js';
import type { ServerCore } from './server-core.js';
import type { LinkSecurity } from '../util/link-security.js';

/**
 * Emptying moved-away slots: steps of CLEANUP_STEP_MS at most, CLEANUP_INTERVAL_MS apart (an
 * eighth of a core at most, ~75,000 keys a second), the first CLEANUP_DELAY_MS after the
 * switch. A switch is the busiest moment of a move on every node at once: each applies the new
 * document, the importer's connections close and the next batch's open, the clients follow
 * their MOVED. The cleanup used to start there, back to back (256 keys a millisecond: ~2,000
 * keys, 4 ms of a 250 ms batch, in the first 10 ms after the switch); the moved keys are
 * unreachable anyway (the slot answers MOVED), so emptying them can wait until the switch's
 * work is done and then run beside the next batch's copy. Measured (docs/benchmarks.md, "The
 * switch's burst"): requests over 5 ms during a move 4,525 against 5,067, p99 7.33 against
 * 7.81 ms (medians of 8 runs each, alternating).
 */
const CLEANUP_STEP_MS = 0.5;
const CLEANUP_INTERVAL_MS = 4;
const CLEANUP_DELAY_MS = 50;
/** Keys deleted between two looks at the clock. */
const CLEANUP_KEYS_PER_CHECK = 32;
/**
 * Imports copying at once; the rest of a batch's wait their turn. The source's byte throttle
 * lets one export's bytes through at a time anyway, so more at once only opened their
 * connections together (a burst of accepts on the source and of dials here at every batch's
 * start) and kept more exports waiting on the throttle.
 */
const COPYING_IMPORTS = 4;

/** A held client's reply: none (its command runs again). */
function noReply(): void {}

export class NodeMigration implements ImportHost {
  readonly exports = new Map<number, SlotExport>();
  readonly imports = new Map<number, SlotImport>();
  /** Slots whose keys are being removed after they moved away. */
  private readonly cleaning = new Set<number>();
  private cleanupTimer: NodeJS.Timeout | null = null;
  /** Clients whose write waits for its slot's pause to end, and the pauses' deadlines. */
  private readonly held = new Map<number, Client[]>();
  private readonly pauseTimers = new Map<number, NodeJS.Timeout>();
  /** Runs the import streams' key states as this node's writes. */
  private readonly importClient: Client;
  private readonly keyPos: number[] = [];
  /** The copy rate of this node's exports (`migration-rate`). */
  readonly throttle: ByteThrottle;
  /** The exports' encoding buffers, reused once their sockets sent them. */
  private readonly exportBuffers = new LentBuffers();
  private readonly exportPacer: ExportPacer;
  /** Imports started and still copying, and those waiting for one of them to end (in order). */
  private readonly copying = new Set<SlotImport>();
  private readonly waitingImports: SlotImport[] = [];
  /**
   * Keys and bytes copied by the exports and imports that have ended (a metric: add the running
   * ones' for the total moved). Each is added once, when it leaves `exports` or `imports`.
   */
  readonly ended = { exportedKeys: 0, exportedBytes: 0, importedKeys: 0, importedBytes: 0 };

  constructor(
    private readonly node: ServerCore,
    /** How imports reach the slot's owner (the node's linkSecurity('cluster')). */
    private readonly security: () => LinkSecurity = () => ({}),
  ) {
    this.importClient = internalClient('slot-import');
    this.throttle = new ByteThrottle(() => node.config.int('migration-rate'));
    this.exportPacer = new ExportPacer(this.throttle);
  }

  /** Whether any slot is being exported (writes then check their keys' slots). */
  get exporting(): boolean {
    return this.exports.size !== 0;
  }

  // ---- the owner's side ----

  /** CORRAL EXPORT <slot>, from an importer: this connection becomes the slot's stream. */
  exportTo(client: Client, slot: number): string | null {
    const cluster = this.node.cluster;
    if (cluster === null) return 'ERR This instance has cluster support disabled';
    if (!cluster.isPrimary || cluster.topology === null || cluster.topology.slotShard[slot] !== cluster.myShard) return `ERR slot ${slot} is not served by this node`;
    this.exports.get(slot)?.close();
    const node = this.node;
    node.writeNow(client);
    const conn: ExportConnection = {
      write: (buf) => node.writeRaw(client, buf),
      get pendingBytes() {
        return client.pendingOutput;
      },
      close: () => node.closeClient(client),
    };
    client.exportSlot = slot;
    const exp = new SlotExport(slot, node.store.dbs[0], conn, (e) => {
      if (this.exports.get(e.slot) === e) this.exports.delete(e.slot);
      this.ended.exportedKeys += e.keysCopied;
      this.ended.exportedBytes += e.bytesSent;
      // The slot's pause outlives the export: the importer closes its end as soon as it applies
      // the switch, which may be before this node does; writes taken in between would be lost.
      // The pause ends when this node applies a topology without the slot, when the mover
      // resumes it (SLOTPAUSE 0), or at its deadline.
      node.rewireKeyRemoved();
    }, this.throttle, this.exportBuffers, this.exportPacer);
    this.exports.set(slot, exp);
    node.rewireKeyRemoved();
    this.step('copy', slot, { side: 'source', to: client.addr, keys: exp.keysTotal }, `exporting slot ${slot} (${exp.keysTotal} keys) to ${client.addr}`);
    return null;
  }

  /** The importer's connection went away. */
  clientGone(client: Client): void {
    const exp = this.exports.get(client.exportSlot);
    if (exp !== undefined) {
      this.step('abort', exp.slot, { side: 'source', keys: exp.keysCopied, bytes: exp.bytesSent }, `export of slot ${exp.slot} ended: the importer disconnected`);
      exp.close();
    }
  }

  /** A command changed the dataset (dispatch.call): keys of exported slots are forwarded. */
  written(cmd: Command, args: CommandArgs): void {
    if (cmd.firstKey <= 0) {
      // FLUSHALL and the like: no key to forward. The exports start over.
      for (const e of [...this.exports.values()]) e.close();
      return;
    }
    const n = cmd.keyPositions(args.argc, this.keyPos, args);
    for (let i = 0; i < n; i++) {
      const p = this.keyPos[i];
      const e = this.exports.get(keySlotOf(args.buf, args.start[p], args.end[p]));
      if (e !== undefined) e.keyChanged(latin1(args.buf, args.start[p], args.end[p]));
    }
  }

  /** A key expired or was evicted. */
  keyRemoved(db: number, key: Buffer): void {
    if (db !== 0) return;
    const e = this.exports.get(keySlotOf(key, 0, key.length));
    if (e !== undefined) e.keyChanged(key.toString('latin1'));
  }

  /**
   * CORRAL SLOTPAUSE <slot> <ms>: pauses the slot's writes and returns the mark the importer must
   * reach. `ms` 0 resumes them (the mover called the switch off) and returns 0.
   */
  pause(slot: number, ms: number): number | string {
    if (ms === 0) {
      this.endPause(slot);
      return 0;
    }
    const exp = this.exports.get(slot);
    if (exp === undefined || exp.state === 'closed') return `ERR slot ${slot} is not being exported`;
    if (exp.state !== 'streaming') return `ERR slot ${slot} is still being copied`;
    this.node.cluster!.pausedSlots.set(slot, performance.now() + ms);
    clearTimeout(this.pauseTimers.get(slot));
    this.pauseTimers.set(slot, setTimeout(() => this.endPause(slot), ms));
    this.step('pause', slot, { side: 'source', ms }, `slot ${slot}: writes paused for the switch (at most ${ms} ms)`);
    return exp.writeMark();
  }

  /**
   * A client's write to a paused slot (dispatch.ts, its command put back in its parser): the
   * client is blocked until the pause ends, then its commands run again, here or redirected.
   */
  hold(client: Client, slot: number): void {
    const list = this.held.get(slot);
    if (list === undefined) this.held.set(slot, [client]);
    else list.push(client);
    this.node.blockClient(client);
  }

  /**
   * The slot's pause is over (resumed, lapsed, or the slot is no longer this node's): the held
   * clients run again on the next turn, not inside the command or topology change that ended
   * the pause, whose reply is being written.
   */
  private endPause(slot: number): void {
    this.node.cluster?.pausedSlots.delete(slot);
    clearTimeout(this.pauseTimers.get(slot));
    this.pauseTimers.delete(slot);
    const list = this.held.get(slot);
    if (list === undefined) return;
    this.held.delete(slot);
    setImmediate(() => {
      for (const c of list) this.node.unblockClient(c, noReply);
    });
  }

  // ---- the importer's side ----

  /** CORRAL IMPORT <slot> <host> <port>: drops what this node holds of the slot, then imports it. */
  importFrom(slot: number, host: string, port: number): string | null {
    const cluster = this.node.cluster;
    if (cluster === null) return 'ERR This instance has cluster support disabled';
    if (!cluster.isPrimary) return 'ERR only a primary imports slots';
    if (cluster.topology !== null && cluster.topology.slotShard[slot] === cluster.myShard) return `ERR slot ${slot} is already served by this node`;
    const previous = this.imports.get(slot);
    if (previous !== undefined) this.importEnded(previous);
    this.cleaning.delete(slot);
    this.dropSlotKeys(slot, Infinity);
    const imp = new SlotImport(slot, host, port, this, this.security());
    this.imports.set(slot, imp);
    this.waitingImports.push(imp);
    this.startImports();
    this.step('copy', slot, { side: 'target', from: `${host}:${port}` }, `importing slot ${slot} from ${host}:${port}`);
    return null;
  }

  /** CORRAL IMPORT <slot> ABORT: stops importing and drops the slot's keys here. */
  abortImport(slot: number): boolean {
    const imp = this.imports.get(slot);
    if (imp === undefined) return false;
    this.step('abort', slot, { side: 'target', keys: imp.keysCopied, bytes: imp.bytesReceived }, `import of slot ${slot} aborted`);
    this.importEnded(imp);
    this.imports.delete(slot);
    this.startCleanup(slot);
    return true;
  }

  /** ImportHost: an import's copy is over; the next waiting one may start. */
  copyEnded(imp: SlotImport): void {
    if (this.copying.delete(imp)) this.startImports();
  }

  /** Starts waiting imports while fewer than COPYING_IMPORTS copy (a closed one is skipped). */
  private startImports(): void {
    while (this.copying.size < COPYING_IMPORTS && this.waitingImports.length > 0) {
      const imp = this.waitingImports.shift()!;
      if (imp.state !== 'connecting' || this.imports.get(imp.slot) !== imp) continue;
      this.copying.add(imp);
      imp.start();
    }
  }

  /** Closes an import leaving `imports` and adds what it copied to `ended`. */
  private importEnded(imp: SlotImport): void {
    imp.close();
    this.ended.importedKeys += imp.keysCopied;
    this.ended.importedBytes += imp.bytesReceived;
  }

  beginBatch(): void {
    const node = this.node;
    node.clock.refresh();
    node.lastTick = performance.now();
    node.writer.begin();
  }

  endBatch(): void {
    // The import's parser reuses its buffer for the next read: the replication stream copies the
    // requests it still points into now (as after a client's read).
    this.node.replStream?.endRead();
    this.node.writer.discard();
  }

  load(args: CommandArgs): number {
    const node = this.node;
    const keyspace = node.store.dbs[0];
    if ((args.argc - 3) % 3 !== 0) throw new Error('bad CORRAL LOAD from the source');
    const b = args.buf;
    for (let i = 3; i < args.argc; i += 3) {
      const at = parseInteger(b, args.start[i + 2], args.end[i + 2]);
      if (at === undefined || at < 0) throw new Error('bad expiry time from the source');
      keyspace.setStringBytes(b, args.start[i], args.end[i], b, args.start[i + 1], args.end[i + 1], at);
      node.replStream?.propagateKey(0, latin1(b, args.start[i], args.end[i]));
    }
    return (args.argc - 3) / 3;
  }

  apply(args: CommandArgs): void {
    const node = this.node;
    const top = node.table.lookupTop(args);
    const cmd = top === undefined ? null : CommandTable.resolve(top, args);
    if (cmd === null || (cmd.flags & CMD_WRITE) === 0) throw new Error(`unexpected command from the source: ${latin1(args.buf, args.start[0], args.end[0])}`);
    node.call(this.importClient, cmd, args);
    node.writer.discard();
  }

  offset(): number {
    return this.node.replStream?.offsetAfterTurn ?? 0;
  }

  /** A slot move's step on this node: at loglevel verbose (one per slot and step; the mover logs batches at notice). */
  private step(step: 'copy' | 'pause' | 'done' | 'abort', slot: number, fields: Record<string, unknown>, line: string): void {
    this.node.logger.verbose({ event: 'migration.step', step, slot, ...fields }, line);
  }

  log(line: string): void {
    this.node.logLine(line);
  }

  // ---- topology changes and cleanup ----

  /** A topology was applied: moved slots end their export/import; moved-away slots are emptied. */
  topologyApplied(): void {
    const cluster = this.node.cluster!;
    const t = cluster.topology!;
    for (const e of [...this.exports.values()]) {
      if (t.slotShard[e.slot] !== cluster.myShard || !cluster.isPrimary) {
        this.step('done', e.slot, { side: 'source', keys: e.keysCopied, bytes: e.bytesSent }, `slot ${e.slot} moved away: export done, removing its keys`);
        e.close();
        this.startCleanup(e.slot);
      }
    }
    for (const imp of [...this.imports.values()]) {
      if (t.slotShard[imp.slot] === cluster.myShard) {
        this.step('done', imp.slot, { side: 'target', keys: imp.keysCopied, bytes: imp.bytesReceived }, `slot ${imp.slot} is now served here: import done (${imp.keysCopied} keys copied)`);
        this.importEnded(imp);
        this.imports.delete(imp.slot);
      }
    }
    for (const slot of [...cluster.pausedSlots.keys()]) if (t.slotShard[slot] !== cluster.myShard || !cluster.isPrimary) this.endPause(slot);
    // A primary, or a node the document no longer names (remove-shard retired it): exports the
    // importer closed first are not in `exports` any more, so this is what empties their slots.
    if (cluster.isPrimary || cluster.myShard < 0) {
      const found = this.cleanUnowned();
      if (found > 0) this.node.logLine(`removing the keys of ${found} slot${found === 1 ? '' : 's'} this shard does not serve`);
    }
  }

  /**
   * A primary holds keys only of slots its shard owns or imports. Others are left behind when a
   * move's cleanup was cut short (the old owner crashed and its replica took over), or by an
   * import abandoned with its mover: they are emptied the same way, as DELs for the replicas.
   * Returns how many slots it found. The caller logs them: the loop below runs long enough to be
   * optimized on the stack, and a log call inlined into it, first reached after the optimization,
   * threw the optimized code away at every switch that found slots (`--log-deopt` on a source:
   * ~35 times in one move, each followed by the loop run unoptimized and compiled again).
   */
  private cleanUnowned(): number {
    const cluster = this.node.cluster!;
    const t = cluster.topology!;
    const keyspace = this.node.store.dbs[0];
    if (keyspace.size === 0) return 0;
    let found = 0;
    // Runs on every topology applied (at each switch of a move, on every node at once): the
    // cheap tests first, so that a slot costs two array reads unless it holds keys elsewhere.
    const myShard = cluster.myShard;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (keyspace.countInSlot(slot) === 0 || t.slotShard[slot] === myShard) continue;
      if (this.imports.has(slot) || this.cleaning.has(slot)) continue;
      found++;
      this.startCleanup(slot);
    }
    return found;
  }

  private startCleanup(slot: number): void {
    this.cleaning.add(slot);
    if (this.cleanupTimer === null) this.cleanupTimer = setTimeout(this.cleanupStepBound, CLEANUP_DELAY_MS);
  }

  private readonly cleanupStepBound = (): void => this.cleanupStep();

  private cleanupStep(): void {
    this.cleanupTimer = null;
    const cluster = this.node.cluster!;
    const until = performance.now() + CLEANUP_STEP_MS;
    for (const slot of this.cleaning) {
      // A slot that came back (or an import of it began) is no longer ours to empty.
      if ((cluster.topology !== null && cluster.topology.slotShard[slot] === cluster.myShard) || this.imports.has(slot)) {
        this.cleaning.delete(slot);
        continue;
      }
      const emptied = this.dropSlotKeys(slot, until);
      if (emptied) this.cleaning.delete(slot);
      else break;
    }
    if (this.cleaning.size !== 0) this.cleanupTimer = setTimeout(this.cleanupStepBound, CLEANUP_INTERVAL_MS);
  }

  /** Deletes a slot's keys until `until` (performance.now()), each a DEL for the replicas; returns whether the slot is empty. */
  private dropSlotKeys(slot: number, until: number): boolean {
    const replStream = this.node.replStream;
    const keyspace = this.node.store.dbs[0];
    for (;;) {
      for (let n = 0; n < CLEANUP_KEYS_PER_CHECK; n++) {
        const id = keyspace.slotFirstId(slot);
        if (id < 0) return true;
        const key = keyspace.deleteListedId(id);
        replStream?.keyRemoved(0, key);
      }
      if (performance.now() >= until) return keyspace.countInSlot(slot) === 0;
    }
  }

  /** CORRAL MIGRATIONS: one line per export, import and slot being emptied. */
  describe(): string[] {
    const out: string[] = [];
    const now = performance.now();
    for (const e of this.exports.values()) {
      out.push(`export slot=${e.slot} state=${e.state} keys=${e.keysCopied}/${e.keysTotal} bytes=${e.bytesSent} mark=${e.mark} big_pending=${e.bigKeysPending} ms=${Math.round(now - e.startedAt)}`);
    }
    for (const i of this.imports.values()) {
      out.push(`import slot=${i.slot} from=${i.sourceHost}:${i.sourcePort} state=${i.state} keys=${i.keysCopied}/${i.keysTotal} bytes=${i.bytesReceived} mark=${i.mark} offset=${i.markOffset} ms=${Math.round(now - i.startedAt)}${i.error === '' ? '' : ` error=${JSON.stringify(i.error)}`}`);
    }
    for (const slot of this.cleaning) out.push(`cleanup slot=${slot} keys=${this.node.store.dbs[0].countInSlot(slot)}`);
    return out;
  }
}
