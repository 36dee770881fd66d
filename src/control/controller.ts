// The controller's loop: the thin I/O around the pure decisions of decisions.ts. One controller
// runs at a time, inside whichever node won the election (agent.ts). It
//   - answers write-lease renewals (CORRAL LEASE) from every node, recording what each reports;
//   - every tick, asks decisions.ts what to do: probe suspects (probeNode: a refused connection
//     or another run id proves a process gone), write a new topology document (compare-and-write
//     by epoch through the coordinator), step a manual failover;
//   - carries that out, one document write at a time.
//
// Times are this process's performance.now(): the lease arithmetic needs only rates, not
// synchronized clocks (docs/replication.md).

import { performance } from 'node:perf_hooks';
import type { TopologyDoc } from '../cluster/topology.js';
import type { Coordinator, CoordinatorLease, MemberRecord } from './coordinator.js';
import { ControlLink, probeNode } from './control-link.js';
import { Mover } from './mover.js';
import type { LinkSecurity } from '../util/link-security.js';
import type { Logger } from '../util/log.js';
import type { PlanEdit } from './reshard-plans.js';
import { DEFAULT_LEASE_PARAMS, applyGrant, applyProbe, applyRenewal, beginManualFailover, decide, grant, type ControllerView, type LeaseParams, type ManualFailover, type NodeCommand, type NodeStatus } from './decisions.js';

/** What a node reports with each renewal. */
export interface RenewalReport {
  id: string;
  runId: string;
  epoch: number;
  role: 'primary' | 'replica' | 'none';
  replid: string;
  offset: number;
  masterLinkUp: boolean;
  /** The process holds none of the shard's data yet (decisions-view.ts Renewal.fresh). */
  fresh: boolean;
}

export interface ControllerOptions {
  coordinator: Coordinator;
  self: MemberRecord;
  /** The coordinator lease the controller record is held under. */
  lease: CoordinatorLease;
  params?: Partial<LeaseParams>;
  desiredShards: number;
  /** The node's log (util/log.ts): the controller's events (controller.*, failover.started, topology.published). */
  logger: Logger;
  tickMs?: number;
  /** How links to the nodes authenticate and whether they are TLS (the node's cluster links'). */
  security?: () => LinkSecurity;
}

const PROBE_TIMEOUT_MS = 200;
const DRIFT = 0.001;

export class Controller {
  readonly params: LeaseParams;
  readonly electedAt = performance.now();
  readonly nodes = new Map<string, NodeStatus>();
  doc: TopologyDoc | null = null;
  members: MemberRecord[] = [];
  manual: ManualFailover | null = null;
  /** A document being compare-and-written (grants follow it meanwhile: decisions.ts). */
  pending: TopologyDoc | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly probing = new Set<string>();
  private coordinatorRefused = false;
  private lastCoordinatorProbe = 0;
  private readonly closers: Array<{ close(): void }> = [];
  private readonly links = new Map<string, ControlLink>();
  private lastReasons = '';
  stopped = false;
  /** Moves the slots of the resharding plan in the document (mover.ts). */
  readonly mover: Mover;
  /** A resharding request waiting to be published (one at a time), and whom to tell. */
  private edit: {
    make: (doc: TopologyDoc) => PlanEdit;
    done: (r: { doc: TopologyDoc } | { error: string }) => void;
    /** The document the request was checked against, and the edit made of it then. */
    basis: TopologyDoc;
    first: PlanEdit;
  } | null = null;

  constructor(private readonly options: ControllerOptions) {
    this.params = { ...DEFAULT_LEASE_PARAMS, ...options.params };
    this.mover = new Mover({ link: (id) => this.link(id), logger: options.logger, kick: () => this.kick() });
  }

  /**
   * Starts the loop once the members and the topology are known: a primary killed with the
   * previous controller is proven dead by a refused probe only if it is known to have been there.
   */
  async start(): Promise<void> {
    const c = this.options.coordinator;
    try {
      const [members, doc] = await Promise.all([c.members(), c.readTopology()]);
      this.members = sortMembers(members);
      if (doc !== null && (this.doc === null || doc.epoch > this.doc.epoch)) this.doc = doc;
    } catch {
      /* the watches below will deliver them */
    }
    if (this.stopped) return;
    this.closers.push(c.watchTopology((doc) => {
      if (this.doc === null || doc.epoch > this.doc.epoch) this.doc = doc;
    }));
    this.closers.push(c.watchMembers((m) => (this.members = sortMembers(m))));
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 25);
    this.options.logger.info({ event: 'controller.elected', coordinator: this.options.coordinator.description }, `controller: elected (${this.options.coordinator.description})`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const c of this.closers) c.close();
    this.mover.stop();
    for (const l of this.links.values()) l.close();
  }

  /** Until when this controller may grant leases (see decisions.ts and docs/replication.md). */
  authorityUntil(): number {
    if (this.coordinatorRefused) return Infinity;
    const lease = this.options.lease;
    return lease.lastConfirmedSentAt() + lease.ttlMs * (1 - DRIFT) / (1 + DRIFT) - this.params.marginMs;
  }

  private view(now: number): ControllerView {
    return {
      now,
      electedAt: this.electedAt,
      authorityUntil: this.authorityUntil(),
      params: this.params,
      doc: this.doc,
      nodes: this.nodes,
      members: this.members,
      desiredShards: this.options.desiredShards,
      manual: this.manual,
      pending: this.pending,
    };
  }

  /**
   * A renewal from a node: records it and returns the lease granted (ms, 0 for none). Renewal,
   * grant and their record happen at one `now`, in one synchronous section (decisions.ts).
   */
  renew(r: RenewalReport): number {
    const now = performance.now();
    const status = applyRenewal(this.nodes.get(r.id), r.id, { runId: r.runId, role: r.role, epoch: r.epoch, replid: r.replid, offset: r.offset, masterLinkUp: r.masterLinkUp, fresh: r.fresh }, now);
    this.nodes.set(r.id, status);
    const ms = grant(this.view(now), r.id);
    this.nodes.set(r.id, applyGrant(status, now, ms, this.params));
    return ms;
  }

  /** `corral cluster failover REPLICA`: starts a manual failover to `replicaId`. */
  requestFailover(replicaId: string): string | null {
    const r = beginManualFailover(this.view(performance.now()), replicaId);
    if ('error' in r) return r.error;
    this.manual = r.manual;
    this.options.logger.warn(
      { event: 'failover.started', shard: r.manual.shard, from: this.addressOf(r.manual.primary), to: this.addressOf(replicaId), reason: 'manual', epoch: (this.doc?.epoch ?? 0) + 1 },
      `controller: manual failover of shard ${r.manual.shard} to ${this.addressOf(replicaId)} requested`,
    );
    return null;
  }

  /**
   * A resharding request (`CORRAL RESHARD ...`): `make` edits the current document; resolves
   * with the document once written, or why not. Checked against the document at once (so a
   * refusal comes back without waiting), then applied again to whatever document is current when
   * the controller is free to publish.
   */
  requestReshard(make: (doc: TopologyDoc) => PlanEdit): Promise<{ doc: TopologyDoc } | { error: string }> {
    const doc = this.pending ?? this.doc;
    if (doc === null) return Promise.resolve({ error: 'no topology yet' });
    const first = make(doc);
    if ('error' in first) return Promise.resolve({ error: first.error });
    if (this.edit !== null) return Promise.resolve({ error: 'another resharding request is being written; try again' });
    // The edit made to check the request is kept: when the document is still the same at the
    // next turn, it is the one published (a plan costs tens of milliseconds to compute).
    return new Promise((done) => (this.edit = { make, done, basis: doc, first }));
  }

  private kicked = false;

  /** Runs a turn at the next chance, besides the timer's. */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.stopped) return;
    const now = performance.now();
    this.watchCoordinator(now);
    const d = decide(this.view(now));
    this.afterDecide(d.publish !== null, now);
    if (d.reasons.length > 0) {
      const text = d.reasons.join('; ');
      if (text !== this.lastReasons) this.options.logger.info({ event: 'controller.decision' }, `controller: ${text}`);
      this.lastReasons = text;
    }
    const epoch = d.publish?.epoch ?? 0;
    for (const f of d.failovers) {
      const from = this.addressOf(f.from);
      const to = this.addressOf(f.to);
      this.options.logger.warn({ event: 'failover.started', shard: f.shard, from, to, reason: f.reason, epoch }, `controller: failover of ${f.shard}: ${from} -> ${to} (${f.reason}), epoch ${epoch}`);
    }
    this.manual = d.manual;
    for (const id of d.probes) this.probe(id);
    for (const a of d.actions) this.act(a);
    if (d.publish !== null) this.publish(d.publish);
  }

  /** Resharding, after the decisions of decisions.ts: a request, else the mover's step. */
  private afterDecide(published: boolean, now: number): void {
    let free = !published && this.pending === null && now < this.authorityUntil() && this.doc !== null;
    const edit = this.edit;
    if (free && edit !== null) {
      this.edit = null;
      free = false;
      const r = this.doc === edit.basis ? edit.first : edit.make(this.doc!);
      if ('error' in r) edit.done(r);
      else this.publish(r.doc, (ok) => edit.done(ok ? { doc: r.doc } : { error: 'the topology changed meanwhile; try again' }));
    }
    const doc = this.mover.tick(this.view(now), free);
    if (doc !== null) {
      this.publish(doc, (ok) => {
        this.mover.published(ok, performance.now());
        this.kick();
      });
    }
  }

  /** Notices a coordinator that refuses connections (its process is down: no one else can be elected). */
  private watchCoordinator(now: number): void {
    const lease = this.options.lease;
    const stale = now - lease.lastConfirmedSentAt() > lease.ttlMs / 3 + 200;
    if (!stale) {
      if (this.coordinatorRefused) this.options.logger.info({ event: 'controller.coordinator', reachable: true }, 'controller: the coordinator answers again');
      this.coordinatorRefused = false;
      return;
    }
    if (now - this.lastCoordinatorProbe < 200) return;
    this.lastCoordinatorProbe = now;
    void this.options.coordinator.probe(200).then((r) => {
      const refused = r === 'refused';
      if (refused && !this.coordinatorRefused) this.options.logger.warn({ event: 'controller.coordinator', reachable: false }, 'controller: the coordinator refuses connections: serving with the topology we have, no failovers until it is back');
      this.coordinatorRefused = refused;
    });
  }

  private probe(id: string): void {
    if (this.probing.has(id) || this.doc === null) return;
    const n = this.doc.nodes.find((x) => x.id === id);
    if (n === undefined) return;
    this.probing.add(id);
    const runId = this.nodes.get(id)?.runId ?? null;
    void probeNode(n.host, n.port, runId, PROBE_TIMEOUT_MS, this.options.security?.()).then((result) => {
      this.probing.delete(id);
      // A refused connection proves a process gone only if one was there: a node that never
      // registered nor renewed may simply not have started yet.
      const known = this.members.some((m) => m.id === id) || (this.nodes.get(id)?.lastRenewalAt ?? -Infinity) > -Infinity;
      if (result === 'dead' && !known) result = 'unknown';
      this.nodes.set(id, applyProbe(this.nodes.get(id), id, result, performance.now()));
    });
  }

  /** A node's address for the log (host:port), or its id when the document does not name it. */
  private addressOf(id: string): string {
    const n = this.doc?.nodes.find((x) => x.id === id);
    return n === undefined ? id : `${n.host}:${n.port}`;
  }

  private link(id: string): ControlLink | null {
    const n = this.doc?.nodes.find((x) => x.id === id);
    if (n === undefined) return null;
    let l = this.links.get(id);
    if (l === undefined || l.host !== n.host || l.port !== n.port) {
      l?.close();
      l = new ControlLink(n.host, n.port, this.options.security?.());
      this.links.set(id, l);
    }
    return l;
  }

  private act(a: NodeCommand): void {
    const link = this.link(a.node);
    if (link === null) return;
    if (a.kind === 'pause-writes') {
      void link.call(['CORRAL', 'PAUSEWRITES', String(Math.max(1, Math.round(a.forMs)))], 1000).then(
        (r) => {
          if (typeof r === 'number' && this.manual !== null && this.manual.primary === a.node) this.manual = { ...this.manual, pausedOffset: r };
        },
        () => {},
      );
    } else if (a.kind === 'resume-writes') {
      void link.call(['CORRAL', 'PAUSEWRITES', '0'], 1000).catch(() => {});
    }
  }

  private publish(doc: TopologyDoc, after?: (ok: boolean) => void): void {
    if (this.pending !== null) {
      after?.(false);
      return;
    }
    const expected = doc.epoch - 1;
    // Set before yielding: a renewal handled while the write is in flight is granted by it.
    this.pending = doc;
    void this.options.coordinator.casTopology(expected, doc).then(
      (ok) => {
        this.pending = null;
        if (ok) {
          const before = this.doc;
          if (this.doc === null || doc.epoch > this.doc.epoch) this.doc = doc;
          this.options.logger.info({ event: 'topology.published', epoch: doc.epoch, shards: doc.shards.length, primariesChanged: primariesChanged(before, doc) }, `controller: published topology epoch ${doc.epoch}`);
        }
        after?.(ok);
      },
      (err: Error) => {
        this.pending = null;
        this.options.logger.warn({ event: 'topology.publish_failed', epoch: doc.epoch, error: err.message }, `controller: could not write the topology (${err.message}); retrying`);
        after?.(false);
      },
    );
  }
}

/** The shards whose primary `next` changes from `before` (none for the first document). */
function primariesChanged(before: TopologyDoc | null, next: TopologyDoc): Array<{ shard: string; from: string; to: string }> {
  if (before === null) return [];
  const out: Array<{ shard: string; from: string; to: string }> = [];
  const address = (id: string): string => {
    const n = next.nodes.find((x) => x.id === id) ?? before.nodes.find((x) => x.id === id);
    return n === undefined ? id : `${n.host}:${n.port}`;
  };
  for (const s of next.shards) {
    const was = before.shards.find((x) => x.id === s.id);
    if (was !== undefined && was.primary !== s.primary) out.push({ shard: s.id, from: address(was.primary), to: address(s.primary) });
  }
  return out;
}

/** In the order they joined (registration time, then id): the first ones bootstrap the shards. */
function sortMembers(members: readonly MemberRecord[]): MemberRecord[] {
  return [...members].sort((a, b) => (a.since ?? 0) - (b.since ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
