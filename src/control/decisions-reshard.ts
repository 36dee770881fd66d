// The resharding mover's decisions (docs/resharding.md): pure functions of the controller's view,
// the mover's batch in flight, what the importer and its replicas last reported, and the time.
// The loop that polls nodes and sends commands is mover.ts.
//
// The plan in the topology document lists the slots still to move (reshard-plans.ts). The mover
// takes them a batch at a time: up to slotsPerBatch slots, in plan order, with one source shard
// and one target shard. A batch goes through:
//
//   phase     the mover...                                       moves on when
//   copy      sends CORRAL IMPORT <slot> <source> to the          every slot's import streams
//             target's primary for each slot, and the plan's      (copy done, writes forwarded)
//             rate to the source (migration-rate)
//   pause     sends CORRAL SLOTPAUSE <slot> <pauseMs> to the      the source answered each with
//             source: its writes to the slots answer TRYAGAIN     a mark (the loop sets marks)
//   catch-up  waits for the target to apply every mark             each import's mark >= its mark;
//                                                                  markOffset = the target's
//                                                                  replication offset then
//   replicas  waits for the target's healthy replicas to reach    each reports offset >= markOffset
//             markOffset (polled)                                  on the target's history
//   publish   publishes epoch + 1 with the slots on the target    the loop reports the write
//             shard and out of the plan (switchSlots)
//
// Aborts: the plan ends or changes id (cancel); a failover replaces the source's or the target's
// primary; either stops renewing; an import fails; the pause is refused; or the switch (pause to
// publish) takes longer than switchBudgetMs. An abort resumes the slots' writes on the source
// and drops what the target imported (CORRAL IMPORT <slot> ABORT); the next batch starts after
// retryAfterMs, from the plan as it then stands — so a batch cut by a crash of any node (or of
// the controller: its successor's mover starts from the plan with no batch) is simply redone.
//
// Why the switch loses no write: the source takes no write to the slots from the pause on (until
// the pause lapses, pauseMs after it began); the marks come after its last write in each slot's
// stream; the document is published only after the target applied them, and only while the pause
// certainly holds (publishBy). The source applies the document and answers MOVED from then on;
// if it somehow had not applied it by the pause's end it could take writes the target never sees
// — the published deadline leaves pauseMs - switchBudgetMs (2 s by default) for the source to
// hear of a document written before it, which is the assumption this rests on.

import type { TopologyDoc } from '../cluster/topology.js';
import { Topology, UNASSIGNED } from '../cluster/topology.js';
import { switchSlots } from './reshard-plans.js';
import { isFailedIn, isSilent, statusOf, type ControllerView } from './decisions-view.js';

export interface ReshardParams {
  slotsPerBatch: number;
  /** How long the source pauses a batch's writes at most (its own clock). */
  pauseMs: number;
  /** From the pause to the publish at most; longer and the batch is aborted. */
  switchBudgetMs: number;
  /** After an abort, the next batch waits this long. */
  retryAfterMs: number;
  /** An import the target does not report this long after it was asked for has failed. */
  importGraceMs: number;
}

export const DEFAULT_RESHARD_PARAMS: Readonly<ReshardParams> = Object.freeze({
  slotsPerBatch: 32,
  pauseMs: 3000,
  switchBudgetMs: 1000,
  retryAfterMs: 500,
  importGraceMs: 2000,
});

/** One import as the target reports it (CORRAL MIGRATIONS). */
export interface ImportReport {
  state: string;
  mark: number;
  /** The target's replication offset right after it applied `mark`. */
  offset: number;
  keys: number;
  bytes: number;
  error: string;
}

export interface MoverReports {
  /** The target's imports, as last polled, and the controller time the poll was sent. */
  imports: { at: number; bySlot: ReadonlyMap<number, ImportReport> } | null;
  /** The target's replicas' offsets, as last polled (sent at `at`), by node id. */
  replicas: ReadonlyMap<string, { replid: string; offset: number; at: number }>;
}

export type BatchPhase = 'copy' | 'pause' | 'catch-up' | 'replicas' | 'publish' | 'publishing';

export interface ReshardBatch {
  planId: string;
  slots: number[];
  /** Source and target shards, and their primaries when the batch began. */
  from: string;
  to: string;
  source: string;
  target: string;
  phase: BatchPhase;
  startedAt: number;
  /** The rate last sent to the source. */
  rate: number;
  pauseSentAt?: number;
  /** Set by the loop: the source's marks (slot order), or why the pause failed. */
  marks?: number[];
  pauseFailed?: string;
  /** Set at catch-up: the offset the target's replicas must reach, and when it was known. */
  markOffset?: number;
  caughtUpAt?: number;
}

export type ReshardAction =
  | { kind: 'import'; node: string; slots: number[]; host: string; port: number }
  | { kind: 'set-rate'; node: string; rate: number }
  | { kind: 'pause'; node: string; slots: number[]; forMs: number }
  | { kind: 'resume'; node: string; slots: number[] }
  | { kind: 'abort-import'; node: string; slots: number[] };

export interface ReshardStep {
  batch: ReshardBatch | null;
  actions: ReshardAction[];
  /** A document to publish (the switch, or a plan's end): only when canPublish. */
  publish: TopologyDoc | null;
  /** Set when the batch was aborted: why (the loop records the time for retryAfterMs). */
  aborted: string | null;
  /** Why nothing happens, for the log and CORRAL RESHARD STATUS. */
  waiting: string | null;
}

/** The actions that call a batch off: resume the source's writes, drop the target's copies. */
export function abortActions(b: ReshardBatch): ReshardAction[] {
  const actions: ReshardAction[] = [];
  if (b.pauseSentAt !== undefined) actions.push({ kind: 'resume', node: b.source, slots: b.slots });
  actions.push({ kind: 'abort-import', node: b.target, slots: b.slots });
  return actions;
}

function primaryOf(doc: TopologyDoc, shardId: string): string | undefined {
  return doc.shards.find((s) => s.id === shardId)?.primary;
}

/** Whether a node can take part in a move: renewing, a primary, holding a write lease. */
function ready(view: ControllerView, id: string): string | null {
  const s = statusOf(view, id);
  if (isSilent(view, s)) return 'not renewing';
  if (s.role !== 'primary') return 'not yet primary';
  if (s.lastGrantAt === -Infinity) return 'without a write lease yet';
  return null;
}

export function stepReshard(
  view: ControllerView,
  batch: ReshardBatch | null,
  reports: MoverReports,
  lastAbortAt: number,
  canPublish: boolean,
  params: ReshardParams = DEFAULT_RESHARD_PARAMS,
): ReshardStep {
  const doc = view.doc;
  const none = (waiting: string | null): ReshardStep => ({ batch, actions: [], publish: null, aborted: null, waiting });
  if (doc === null) return none(null);
  if (batch !== null) return stepBatch(view, doc, batch, reports, canPublish, params);
  const plan = doc.plan;
  if (plan === undefined) return none(null);
  if (plan.paused) return none('paused');
  if (view.now - lastAbortAt < params.retryAfterMs) return none('retrying after an abort');
  const t = new Topology(doc);
  // The next batch: the first slot still to move, and those after it with its source and target.
  let from = -1;
  let to = '';
  const slots: number[] = [];
  const already: number[] = [];
  for (const [a, b, target] of plan.moves) {
    for (let s = a; s <= b && slots.length < params.slotsPerBatch; s++) {
      const owner = t.slotShard[s];
      if (owner !== UNASSIGNED && doc.shards[owner].id === target) {
        already.push(s);
        continue;
      }
      if (from < 0) {
        from = owner;
        to = target;
      }
      if (owner === from && target === to) slots.push(s);
    }
  }
  if (slots.length === 0) {
    // Nothing to copy: the rest of the plan is already in place (or it is empty); end it.
    if (!canPublish) return none('waiting to publish');
    return { batch: null, actions: [], publish: switchSlots(doc, already, null), aborted: null, waiting: null };
  }
  if (from === UNASSIGNED) return none(`slot ${slots[0]} has no owner`);
  const fromId = doc.shards[from].id;
  const source = doc.shards[from].primary;
  const target = primaryOf(doc, to);
  if (target === undefined) return none(`shard ${to} is gone`);
  const why = ready(view, source);
  if (why !== null) return none(`source ${source} ${why}`);
  const whyTarget = ready(view, target);
  if (whyTarget !== null) return none(`target ${target} ${whyTarget}`);
  const src = doc.nodes.find((n) => n.id === source)!;
  const next: ReshardBatch = { planId: plan.id, slots, from: fromId, to, source, target, phase: 'copy', startedAt: view.now, rate: plan.rate };
  return {
    batch: next,
    actions: [
      { kind: 'set-rate', node: source, rate: plan.rate },
      { kind: 'import', node: target, slots, host: src.host, port: src.port },
    ],
    publish: null,
    aborted: null,
    waiting: null,
  };
}

function stepBatch(view: ControllerView, doc: TopologyDoc, b: ReshardBatch, reports: MoverReports, canPublish: boolean, params: ReshardParams): ReshardStep {
  const abort = (reason: string): ReshardStep => ({ batch: null, actions: abortActions(b), publish: null, aborted: reason, waiting: null });
  const wait = (next: ReshardBatch, waiting: string | null, actions: ReshardAction[] = []): ReshardStep => ({ batch: next, actions, publish: null, aborted: null, waiting });
  const plan = doc.plan;
  if (b.phase === 'publishing') return wait(b, 'publishing');
  if (plan === undefined || plan.id !== b.planId) return abort('the plan ended');
  if (primaryOf(doc, b.from) !== b.source) return abort(`shard ${b.from} has a new primary`);
  if (primaryOf(doc, b.to) !== b.target) return abort(`shard ${b.to} has a new primary`);
  if (isSilent(view, statusOf(view, b.source))) return abort(`source ${b.source} stopped renewing`);
  if (isSilent(view, statusOf(view, b.target))) return abort(`target ${b.target} stopped renewing`);
  const actions: ReshardAction[] = [];
  let next = b;
  if (plan.rate !== b.rate) {
    actions.push({ kind: 'set-rate', node: b.source, rate: plan.rate });
    next = { ...next, rate: plan.rate };
  }
  if (next.pauseSentAt !== undefined && view.now - next.pauseSentAt > params.switchBudgetMs) return abort(`the switch took longer than ${params.switchBudgetMs} ms`);
  const imports = reports.imports;
  const fresh = (since: number) => imports !== null && imports.at >= since ? imports.bySlot : null;

  if (next.phase === 'copy') {
    const by = fresh(next.startedAt);
    if (by === null) return wait(next, 'copying', actions);
    let streaming = 0;
    for (const slot of next.slots) {
      const r = by.get(slot);
      if (r === undefined) {
        if (view.now - next.startedAt > params.importGraceMs) return abort(`the target has no import of slot ${slot}`);
        continue;
      }
      if (r.state === 'failed' || r.state === 'closed') return abort(`import of slot ${slot} ${r.state}${r.error === '' ? '' : `: ${r.error}`}`);
      if (r.state === 'streaming') streaming++;
    }
    if (streaming < next.slots.length) return wait(next, 'copying', actions);
    next = { ...next, phase: 'pause', pauseSentAt: view.now };
    actions.push({ kind: 'pause', node: next.source, slots: next.slots, forMs: params.pauseMs });
    return wait(next, 'pausing', actions);
  }
  if (next.phase === 'pause') {
    if (next.pauseFailed !== undefined) return abort(`the source refused the pause: ${next.pauseFailed}`);
    if (next.marks === undefined) return wait(next, 'pausing', actions);
    next = { ...next, phase: 'catch-up' };
  }
  if (next.phase === 'catch-up') {
    const by = fresh(next.pauseSentAt!);
    if (by === null) return wait(next, 'catching up', actions);
    let offset = 0;
    for (let i = 0; i < next.slots.length; i++) {
      const r = by.get(next.slots[i]);
      if (r === undefined || r.state === 'failed' || r.state === 'closed') return abort(`import of slot ${next.slots[i]} ended during the switch`);
      if (r.mark < next.marks![i]) return wait(next, 'catching up', actions);
      offset = Math.max(offset, r.offset);
    }
    next = { ...next, phase: 'replicas', markOffset: offset, caughtUpAt: view.now };
  }
  if (next.phase === 'replicas') {
    const shard = doc.shards.find((s) => s.id === next.to)!;
    const replid = statusOf(view, next.target).replid;
    for (const id of shard.replicas) {
      const st = statusOf(view, id);
      if (isFailedIn(doc, id) || isSilent(view, st) || !st.masterLinkUp) continue;
      const r = reports.replicas.get(id);
      if (r === undefined || r.at < next.caughtUpAt! || (replid !== null && replid !== '' && r.replid !== replid) || r.offset < next.markOffset!) {
        return wait(next, `replica ${id} catching up`, actions);
      }
    }
    next = { ...next, phase: 'publish' };
  }
  // phase 'publish'
  const { driftRate: rho, marginMs } = view.params;
  const pauseHoldsUntil = next.pauseSentAt! + (params.pauseMs * (1 - rho)) / (1 + rho) - marginMs;
  if (view.now >= pauseHoldsUntil - (params.pauseMs - params.switchBudgetMs)) return abort('the pause may end before the switch is known');
  if (!canPublish) return wait(next, 'waiting to publish', actions);
  return { batch: { ...next, phase: 'publishing' }, actions, publish: switchSlots(doc, next.slots, next.to), aborted: null, waiting: null };
}
