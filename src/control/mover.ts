// The resharding mover's loop (docs/resharding.md): the thin I/O around decisions-reshard.ts,
// run by the controller on every tick. It polls what the decisions need — the target's imports
// (CORRAL MIGRATIONS) while a batch copies or catches up, the target's replicas' offsets (CORRAL
// CONTROL) while they catch up — sends the commands the decisions return, hands the controller
// the documents to publish, and keeps the figures `corral cluster migrations status` shows.
//
// Polls are one at a time per kind; a reply is used only by decisions taken after it arrived,
// and is stamped with the controller time its request was sent (decisions-reshard.ts requires
// a poll sent after the event it waits for).

import { performance } from 'node:perf_hooks';
import type { TopologyDoc } from '../cluster/topology.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import type { ControlLink } from './control-link.js';
import { fieldPairs } from './node-link.js';
import { parseImports } from './import-lines.js';
import type { ControllerView } from './decisions-view.js';
import type { Logger } from '../util/log.js';
import { DEFAULT_RESHARD_PARAMS, abortActions, stepReshard, type ImportReport, type ReshardAction, type ReshardBatch, type ReshardParams } from './decisions-reshard.js';

const CALL_TIMEOUT_MS = 2000;

export interface MoverHost {
  /** A link to a node by id (null when the document does not name it). */
  link(id: string): ControlLink | null;
  /** The node's log: a migration.step event per batch and step (util/log.ts). */
  readonly logger: Logger;
  /** Runs the controller's next turn soon (a switch in progress waits on replies, not timers). */
  kick(): void;
}

/** What `CORRAL RESHARD STATUS` reports of the mover. */
export interface MoverStatus {
  batch: ReshardBatch | null;
  keysMoved: number;
  bytesMoved: number;
  slotsMoved: number;
  /** Bytes per second over the batches of the last few seconds. */
  bytesPerSec: number;
  lastError: string;
  waiting: string;
}

export class Mover {
  readonly params: ReshardParams;
  batch: ReshardBatch | null = null;
  private lastAbortAt = -Infinity;
  private imports: { at: number; bySlot: Map<number, ImportReport> } | null = null;
  private readonly replicas = new Map<string, { replid: string; offset: number; at: number }>();
  private pollingImports = false;
  private readonly pollingReplicas = new Set<string>();
  /** Figures of the plan in progress (reset when another plan begins). */
  private planId = '';
  keysMoved = 0;
  bytesMoved = 0;
  slotsMoved = 0;
  private readonly recent: Array<{ at: number; bytes: number }> = [];
  lastError = '';
  waiting = '';
  private lastWaiting = '';

  constructor(
    private readonly host: MoverHost,
    params: Partial<ReshardParams> = {},
  ) {
    this.params = { ...DEFAULT_RESHARD_PARAMS, ...params };
  }

  /** One turn; returns a document to publish (the controller calls published() with the outcome). */
  tick(view: ControllerView, canPublish: boolean): TopologyDoc | null {
    const plan = view.doc?.plan;
    if (plan !== undefined) this.follow(plan.id);
    const step = stepReshard(view, this.batch, { imports: this.imports, replicas: this.replicas }, this.lastAbortAt, canPublish, this.params);
    const before = this.batch;
    this.batch = step.batch;
    if (step.aborted !== null) {
      this.lastAbortAt = view.now;
      this.lastError = step.aborted;
      this.step('abort', before!, `mover: batch of ${before!.slots.length} slots ${describe(before!)} aborted: ${step.aborted}`, { reason: step.aborted });
    } else if (before === null && step.batch !== null) {
      this.imports = null;
      this.step('copy', step.batch, `mover: moving ${describe(step.batch)}`);
    }
    this.waiting = step.waiting ?? '';
    if (this.waiting !== this.lastWaiting && (this.waiting === 'paused' || this.waiting.startsWith('source') || this.waiting.startsWith('target') || this.waiting.startsWith('shard'))) {
      this.host.logger.info({ event: 'migration.waiting', waiting: this.waiting }, `mover: waiting: ${this.waiting}`);
    }
    if (step.batch !== null && step.batch.phase === 'pause' && before?.phase !== 'pause') this.step('pause', step.batch, `mover: pausing the writes of ${describe(step.batch)}`);
    if (step.batch !== null && step.publish !== null) this.step('publish', step.batch, `mover: publishing the switch of ${describe(step.batch)} (epoch ${step.publish.epoch})`, { epoch: step.publish.epoch });
    this.lastWaiting = this.waiting;
    for (const a of step.actions) this.act(a);
    this.poll(view);
    return step.publish;
  }

  /** The controller's compare-and-write of the document tick() returned. */
  published(ok: boolean, now: number): void {
    const b = this.batch;
    if (b === null || b.phase !== 'publishing') return;
    this.batch = null;
    if (!ok) {
      this.lastAbortAt = now;
      this.lastError = 'the switch document was not written';
      for (const a of abortActions(b)) this.act(a);
      return;
    }
    let keys = 0;
    let bytes = 0;
    for (const s of b.slots) {
      const r = this.imports?.bySlot.get(s);
      if (r !== undefined) {
        keys += r.keys;
        bytes += r.bytes;
      }
    }
    this.keysMoved += keys;
    this.bytesMoved += bytes;
    this.slotsMoved += b.slots.length;
    this.recent.push({ at: now, bytes });
    while (this.recent.length > 0 && now - this.recent[0].at > 5000) this.recent.shift();
    this.step('done', b, `mover: moved ${describe(b)}: ${keys} keys, ${bytes} bytes, ${Math.round(now - b.startedAt)} ms (switch ${Math.round(now - (b.pauseSentAt ?? now))} ms)`, {
      keys,
      bytes,
      ms: Math.round(now - b.startedAt),
      switchMs: Math.round(now - (b.pauseSentAt ?? now)),
    });
  }

  /** The figures are those of plan `id` from now on (reset when it is another plan). */
  follow(id: string): void {
    if (id === this.planId) return;
    this.planId = id;
    this.keysMoved = this.bytesMoved = this.slotsMoved = 0;
    this.recent.length = 0;
    this.lastError = '';
  }

  status(now: number): MoverStatus {
    while (this.recent.length > 0 && now - this.recent[0].at > 5000) this.recent.shift();
    const window = this.recent.length === 0 ? 0 : Math.max(1000, now - this.recent[0].at);
    const bytes = this.recent.reduce((n, r) => n + r.bytes, 0);
    return { batch: this.batch, keysMoved: this.keysMoved, bytesMoved: this.bytesMoved, slotsMoved: this.slotsMoved, bytesPerSec: window === 0 ? 0 : (bytes * 1000) / window, lastError: this.lastError, waiting: this.waiting };
  }

  /** The controller stops: a batch in flight is called off (its successor redoes it). */
  stop(): void {
    const b = this.batch;
    this.batch = null;
    if (b !== null && b.phase !== 'publishing') for (const a of abortActions(b)) this.act(a);
  }

  private act(a: ReshardAction): void {
    const link = this.host.link(a.node);
    if (link === null) return;
    const ignore = (): void => {};
    switch (a.kind) {
      case 'set-rate':
        void link.call(['CONFIG', 'SET', 'migration-rate', String(a.rate)], CALL_TIMEOUT_MS).catch(ignore);
        break;
      case 'import':
        for (const s of a.slots) {
          void link.call(['CORRAL', 'IMPORT', String(s), a.host, String(a.port)], CALL_TIMEOUT_MS).then((r) => {
            if (isError(r)) this.host.logger.warn({ event: 'migration.error', slot: s, error: errorText(r) }, `mover: CORRAL IMPORT ${s}: ${errorText(r)}`);
          }, ignore);
        }
        break;
      case 'pause': {
        const b = this.batch;
        const marks = new Array<number>(a.slots.length);
        let left = a.slots.length;
        const done = (failed: string | null): void => {
          if (this.batch !== b || b === null) return;
          if (failed !== null) {
            if (b.pauseFailed === undefined) this.batch = { ...b, pauseFailed: failed };
            return;
          }
          if (--left === 0) {
            this.batch = { ...this.batch!, marks };
            this.host.kick();
          }
        };
        a.slots.forEach((s, i) => {
          void link.call(['CORRAL', 'SLOTPAUSE', String(s), String(a.forMs)], CALL_TIMEOUT_MS).then(
            (r) => {
              if (typeof r === 'number') {
                marks[i] = r;
                done(null);
              } else done(errorText(r));
            },
            (err: Error) => done(err.message),
          );
        });
        break;
      }
      case 'resume':
        for (const s of a.slots) void link.call(['CORRAL', 'SLOTPAUSE', String(s), '0'], CALL_TIMEOUT_MS).catch(ignore);
        break;
      case 'abort-import':
        for (const s of a.slots) void link.call(['CORRAL', 'IMPORT', String(s), 'ABORT'], CALL_TIMEOUT_MS).catch(ignore);
        break;
    }
  }

  /** A migration.step event of a batch: its slots (a range, or the list), shards and step. */
  private step(step: 'copy' | 'pause' | 'publish' | 'done' | 'abort', b: ReshardBatch, line: string, extra: Record<string, unknown> = {}): void {
    const first = b.slots[0];
    const last = b.slots[b.slots.length - 1];
    const where = b.slots.length === last - first + 1 ? (first === last ? { slot: first } : { slots: `${first}-${last}` }) : { slots: b.slots.join(',') };
    const level = step === 'abort' ? 'warn' : 'info';
    this.host.logger[level]({ event: 'migration.step', step, ...where, count: b.slots.length, from: b.from, to: b.to, ...extra }, line);
  }

  private poll(view: ControllerView): void {
    const b = this.batch;
    if (b === null) return;
    if ((b.phase === 'copy' || b.phase === 'catch-up' || b.phase === 'pause') && !this.pollingImports) {
      const link = this.host.link(b.target);
      if (link === null) return;
      this.pollingImports = true;
      const at = performance.now();
      void link.call(['CORRAL', 'MIGRATIONS'], CALL_TIMEOUT_MS).then(
        (r) => {
          this.pollingImports = false;
          if (this.batch === b || this.batch?.slots === b.slots) {
            const bySlot = parseImports(r);
            this.imports = { at, bySlot };
            // While writes are paused every turn counts; the copy is polled at the loop's pace,
            // except that a copy found complete (near-empty slots) goes on at once.
            if (this.batch!.phase !== 'copy' || b.slots.every((s) => bySlot.get(s)?.state === 'streaming')) this.host.kick();
          }
        },
        () => {
          this.pollingImports = false;
        },
      );
    }
    if (b.phase === 'replicas') {
      const shard = view.doc?.shards.find((s) => s.id === b.to);
      for (const id of shard?.replicas ?? []) {
        if (this.pollingReplicas.has(id)) continue;
        const link = this.host.link(id);
        if (link === null) continue;
        this.pollingReplicas.add(id);
        const at = performance.now();
        void link.call(['CORRAL', 'CONTROL'], CALL_TIMEOUT_MS).then(
          (r) => {
            this.pollingReplicas.delete(id);
            if (!Array.isArray(r)) return;
            const f = fieldPairs(r);
            this.replicas.set(id, { replid: f.get('replid') ?? '', offset: Number(f.get('offset') ?? 0), at });
            this.host.kick();
          },
          () => this.pollingReplicas.delete(id),
        );
      }
    }
  }
}

function describe(b: ReshardBatch): string {
  const first = b.slots[0];
  const last = b.slots[b.slots.length - 1];
  const range = b.slots.length === last - first + 1 ? (first === last ? `slot ${first}` : `slots ${first}-${last}`) : `${b.slots.length} slots from ${first}`;
  return `${range} ${b.from} -> ${b.to}`;
}

function isError(r: ReplyValue): boolean {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && 'error' in r;
}

function errorText(r: ReplyValue): string {
  return isError(r) ? (r as { error: string }).error : JSON.stringify(r);
}
