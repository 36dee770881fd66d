// Test support for online resharding (docs/resharding.md) against `corral up`: the extra node a
// plan adds, the control-plane helpers (the controller, CORRAL RESHARD, the topology document,
// waiting for a plan), and a checker workload that runs across slot moves and proves, per phase:
//
// - no wrong value: every read returns the key's last acknowledged value or that of a write in
//   flight while it ran (or of an earlier write whose outcome was unknown), never an older one,
//   a value never written, or one written later; MGET of a hash-tagged pair written by MSET
//   returns two equal values;
// - no lost key or write: after the workload stops, every key holds its last acknowledged value;
// - counters (INCR, and MULTI/EXEC INCR INCR on a hash-tagged pair) equal their number of
//   acknowledged increments (every reply is its ordinal), + at most one per increment whose
//   outcome was unknown;
// - TTLs: a key set with PX keeps the absolute expiry of the write that set it (PTTL within
//   TTL_TOLERANCE_MS of it, never -1);
// - no error reaches the application (the clients retry MOVED and TRYAGAIN themselves);
// - placement (placementProblems): CLUSTER SLOTS of every node covers the 16384 slots once each, as
//   the document says; every key is held (KEYS * sent to each primary itself, not routed) by
//   exactly one primary, its slot's owner; each replica holds exactly its primary's keys. (EXISTS
//   sent to a primary would not do: for a slot it does not serve it answers MOVED, whatever it
//   still holds.)
//
// The clients: ioredis's Cluster, corral's createClient, and RawRouter, INCR over raw connections
// routed by the test itself, which records the node that answered each increment (the evidence
// for a counter that went wrong). Each verify rebases every key on the value it found, so that
// a loss is reported in the phase it happened in, not again in later ones.
//
// Kill -9 of a primary loses the writes its replicas had not received yet (docs/replication.md,
// "What corral promises"): a KillWindow tells the checks which slots were the killed primary's,
// and a write acknowledged within LAG_ALLOWANCE_MS before the kill to one of them may be missing
// (counted as tolerated, reported); one in flight at the kill may be applied twice by a client
// that re-sends it (ioredis re-sends on a closed connection), and corral's client fails an INCR
// in flight with ConnectionError rather than risk that (an error, counted as expected only
// then). Nothing else is tolerated.

import { spawn, type ChildProcess } from 'node:child_process';
import { Cluster, type ClusterOptions } from 'ioredis';
import { createClient, type ClientOptions, type CorralClient } from '../../src/index.js';
import { keySlot, SLOT_COUNT } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import type { ReplyValue } from '../../src/protocol/reply-parser.js';
import { CORRAL_MAIN, callOnce, freeRun, nodeView, sleep, until, type CorralUp } from './corral-up.js';
import { RawConnection } from './servers.js';

export const TTL_TOLERANCE_MS = 1500;
/** How far behind its primary a replica may be at a kill -9 (async replication on one machine). */
export const LAG_ALLOWANCE_MS = 2000;

// ---- replies --------------------------------------------------------------------------------

export function errorOf(r: ReplyValue | null): string | null {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && 'error' in r ? String((r as { error: string }).error) : null;
}

/** A flat field/value array reply as a map (empty for anything else). */
export function fieldsOf(r: ReplyValue | null): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(String(r[i]), String(r[i + 1]));
  return m;
}

// ---- the extra node -------------------------------------------------------------------------

/** The local coordinator's host:port: printed by `corral up`, else CORRAL CONTROL of a node. */
export async function coordinatorOf(up: CorralUp): Promise<string> {
  const printed = /\bcoordinator (\d+\.\d+\.\d+\.\d+:\d+)/.exec(up.output());
  if (printed !== null) return printed[1];
  for (const p of up.ports) {
    const f = fieldsOf(await callOnce(p, 'CORRAL', 'CONTROL'));
    const spec = f.get('coordinator_spec') ?? '';
    if (spec.startsWith('local:')) return spec.slice('local:'.length);
    const desc = /^local (\S+)$/.exec(f.get('coordinator') ?? '');
    if (desc !== null) return desc[1];
  }
  throw new Error('no node names the coordinator');
}

/** A 'data' listener that hands each complete line with the time it arrived (ms). */
export function lineReader(onLine: (at: number, line: string) => void): (d: Buffer) => void {
  let partial = '';
  return (d) => {
    const at = Date.now();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') onLine(at, line);
  };
}

/** A child's output (stdout and stderr) as it comes, each line as `<ms> <line>` with the time it arrived. */
export function stampedLog(child: ChildProcess): () => string {
  let out = '';
  const take = (at: number, line: string): void => void (out += `${at} ${line}\n`);
  child.stdout!.on('data', lineReader(take));
  child.stderr!.on('data', lineReader(take));
  return () => out;
}

/** Log texts whose lines start with a time in ms, merged into one list by time. */
export function mergeLogs(...texts: string[]): string[] {
  return texts
    .join('\n')
    .split('\n')
    .filter((l) => l !== '')
    .sort((a, b) => Number(a.slice(0, a.indexOf(' '))) - Number(b.slice(0, b.indexOf(' '))));
}

/** Of merged log lines, those about `slot` within 1 s of `at`, and the mover's, failovers' and cleanups' within 100 ms. */
export function logAround(lines: readonly string[], slot: number, at: number): string[] {
  const slotLine = new RegExp(`slot ${slot}\\b`);
  const moverLine = /mover|controller: published|removing the keys|failover|promot|killed/;
  return lines.filter((l) => {
    const d = Math.abs(Number(l.slice(0, l.indexOf(' '))) - at);
    return (d <= 1000 && slotLine.test(l)) || (d <= 100 && moverLine.test(l));
  });
}

export interface ExtraNode {
  port: number;
  child: ChildProcess;
  /** Its log: each line as `<ms> [port] <line>`, as stampedLog() gives corral up's. */
  output(): string;
  kill(): Promise<void>;
}

/** A node process outside corral up, registered with its coordinator (placed as a replica at first). */
export async function startExtraNode(coordinator: string): Promise<ExtraNode> {
  const port = await freeRun(1);
  const child = spawn(
    process.execPath,
    [CORRAL_MAIN, 'server', '--port', String(port), '--cluster-enabled', 'yes', '--coordinator', `local:${coordinator}`, '--cluster-announce-ip', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const take = (at: number, line: string): void => void (out += `${at} [${port}] ${line}\n`);
  child.stdout!.on('data', lineReader(take));
  child.stderr!.on('data', lineReader(take));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node: ExtraNode = {
    port,
    child,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
  try {
    // Registered: it knows the controller and has applied a topology.
    await until('the extra node to join the cluster', async () => {
      const f = fieldsOf(await callOnce(port, 'CORRAL', 'CONTROL'));
      return (f.get('controller') ?? '') !== '' && Number(f.get('epoch') ?? 0) > 0;
    }, 20_000, 50);
  } catch (err) {
    await node.kill();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return node;
}

// ---- the control plane ----------------------------------------------------------------------

/** The newest topology document any of `ports` has applied. */
export async function newestTopology(ports: readonly number[]): Promise<TopologyDoc> {
  const docs = await Promise.all(ports.map((p) => callOnce(p, 'CORRAL', 'TOPOLOGY')));
  let best: TopologyDoc | null = null;
  for (const d of docs) {
    if (typeof d !== 'string') continue;
    const doc = JSON.parse(d) as TopologyDoc;
    if (best === null || doc.epoch > best.epoch) best = doc;
  }
  if (best === null) throw new Error(`no node of ${ports.join(',')} answered CORRAL TOPOLOGY`);
  return best;
}

/** The controller's port, as a node that says it is the controller confirms. */
export async function controllerPort(ports: readonly number[]): Promise<number> {
  for (const p of ports) {
    const f = fieldsOf(await callOnce(p, 'CORRAL', 'CONTROL'));
    const m = /:(\d+)$/.exec(f.get('controller') ?? '');
    if (m === null) continue;
    const port = Number(m[1]);
    if (fieldsOf(await callOnce(port, 'CORRAL', 'CONTROL')).get('is_controller') === '1') return port;
  }
  throw new Error('no controller');
}

/** CORRAL RESHARD ... on the controller, re-asked while the controller changes (NOTCONTROLLER, no answer). */
export async function reshard(ports: readonly number[], ...args: Array<string | number>): Promise<ReplyValue> {
  const end = Date.now() + 15_000;
  let last: ReplyValue | null = null;
  for (;;) {
    try {
      const port = await controllerPort(ports);
      last = await callOnce(port, 'CORRAL', 'RESHARD', ...args);
      if (last !== null && !(errorOf(last) ?? '').startsWith('NOTCONTROLLER')) return last;
    } catch {
      /* no controller yet */
    }
    if (Date.now() > end) throw new Error(`CORRAL RESHARD ${args.join(' ')}: no controller answered (last: ${JSON.stringify(last)})`);
    await sleep(100);
  }
}

export async function reshardStatus(ports: readonly number[]): Promise<Map<string, string>> {
  return fieldsOf(await reshard(ports, 'STATUS'));
}

export interface BatchInFlight {
  slots: number;
  firstSlot: number;
  from: string;
  to: string;
  phase: string;
}

/** STATUS's `batch` field: `N slots from S <from> -> <to> (phase)`. */
export function parseBatch(text: string): BatchInFlight | null {
  const m = /^(\d+) slots from (\d+) (\S+) -> (\S+) \((\S+)\)$/.exec(text);
  return m === null ? null : { slots: Number(m[1]), firstSlot: Number(m[2]), from: m[3], to: m[4], phase: m[5] };
}

/**
 * The slots of a batch still in `doc`'s plan (none once published): as the mover picks them, the
 * plan's next `slots` slots from `firstSlot` that `from` owns and that go to `to`.
 */
export function batchSlots(doc: TopologyDoc, b: BatchInFlight): number[] {
  const owners = slotOwners(doc);
  const out: number[] = [];
  for (const [start, end, to] of doc.plan?.moves ?? []) {
    for (let s = start; s <= end && out.length < b.slots; s++) if ((out.length > 0 || s === b.firstSlot) && to === b.to && owners[s] === b.from) out.push(s);
  }
  return out;
}

/** Waits until the document has no plan; `progress` gets each STATUS seen. */
export async function waitPlanDone(ports: () => readonly number[], timeoutMs: number, progress?: (status: Map<string, string>) => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = new Map<string, string>();
  for (;;) {
    try {
      const doc = await newestTopology(ports());
      if (doc.plan === undefined) return;
      last = await reshardStatus(ports());
      progress?.(last);
    } catch {
      /* a node or the controller is changing */
    }
    if (Date.now() > end) throw new Error(`the plan did not finish in ${timeoutMs} ms; last status ${JSON.stringify(Object.fromEntries(last))}`);
    await sleep(250);
  }
}

export function slotsLeft(status: Map<string, string>): number {
  return Number(status.get('slots_left') ?? NaN);
}

/** Per slot, the id of the shard that owns it in `doc`. */
export function slotOwners(doc: TopologyDoc): string[] {
  const owners = new Array<string>(SLOT_COUNT).fill('');
  for (const [s, e, id] of doc.slots) for (let i = s; i <= e; i++) owners[i] = id;
  return owners;
}

export function nodePort(doc: TopologyDoc, id: string): number {
  const n = doc.nodes.find((x) => x.id === id);
  if (n === undefined) throw new Error(`node ${id} is not in the document`);
  return n.port;
}

/** The slots a shard owns in `doc`. */
export function slotsOfShard(doc: TopologyDoc, shardId: string): Set<number> {
  const out = new Set<number>();
  for (const [s, e, id] of doc.slots) if (id === shardId) for (let i = s; i <= e; i++) out.add(i);
  return out;
}

// ---- placement --------------------------------------------------------------------------------

async function keysOf(port: number): Promise<string[] | null> {
  let c: RawConnection | null = null;
  try {
    c = await RawConnection.connect(port);
    const r = await c.call('KEYS', '*');
    return Array.isArray(r) ? (r as string[]) : null;
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/**
 * What is wrong with the cluster's placement now (empty when nothing): CLUSTER SLOTS of every
 * node of the document; every key of `expected` held by exactly one primary, its slot's owner, and
 * no other key anywhere; each replica holding exactly its primary's keys.
 */
export async function placementProblems(doc: TopologyDoc, expected: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  const owners = slotOwners(doc);
  const shardPrimaryPort = new Map(doc.shards.map((s) => [s.id, nodePort(doc, s.primary)]));
  const members = doc.shards.flatMap((s) => [s.primary, ...s.replicas]).map((id) => nodePort(doc, id));
  // CLUSTER SLOTS: 16384 slots, each once, served by the document's primary.
  for (const port of members) {
    const r = await callOnce(port, 'CLUSTER', 'SLOTS');
    if (!Array.isArray(r)) {
      problems.push(`${port}: CLUSTER SLOTS answered ${JSON.stringify(r)}`);
      continue;
    }
    const seen = new Uint8Array(SLOT_COUNT);
    const wrong: string[] = [];
    for (const range of r as Array<[number, number, [string, number]]>) {
      for (let s = range[0]; s <= range[1]; s++) {
        seen[s]++;
        if (range[2][1] !== shardPrimaryPort.get(owners[s]) && wrong.length < 3) wrong.push(`slot ${s} on ${range[2][1]}, the document says ${shardPrimaryPort.get(owners[s])}`);
      }
    }
    const missing = seen.reduce((n, x) => n + (x === 0 ? 1 : 0), 0);
    const twice = seen.reduce((n, x) => n + (x > 1 ? 1 : 0), 0);
    if (missing > 0 || twice > 0 || wrong.length > 0) problems.push(`${port}: CLUSTER SLOTS leaves ${missing} slots out, lists ${twice} more than once${wrong.length > 0 ? `; ${wrong.join('; ')}` : ''}`);
  }
  // Keys, as each primary holds them (KEYS *: every live key it has, served or not).
  const holders = new Map<string, number[]>();
  const keysByPort = new Map<number, string[]>();
  for (const s of doc.shards) {
    const port = nodePort(doc, s.primary);
    const keys = await keysOf(port);
    if (keys === null) {
      problems.push(`primary ${port}: KEYS * failed`);
      continue;
    }
    keysByPort.set(port, keys);
    for (const k of keys) {
      const h = holders.get(k);
      if (h === undefined) holders.set(k, [port]);
      else h.push(port);
    }
  }
  const examples = { missing: [] as string[], twice: [] as string[], misplaced: [] as string[], unknown: [] as string[] };
  const counts = { missing: 0, twice: 0, misplaced: 0, unknown: 0 };
  const note = (kind: keyof typeof counts, text: string): void => {
    counts[kind]++;
    if (examples[kind].length < 5) examples[kind].push(text);
  };
  for (const k of expected) {
    const h = holders.get(k);
    const slot = keySlot(k);
    const owner = shardPrimaryPort.get(owners[slot]);
    if (h === undefined) note('missing', `${k} (slot ${slot}, owner ${owner})`);
    else if (h.length > 1) note('twice', `${k} (slot ${slot}) on ${h.join(' and ')}, owner ${owner}`);
    else if (h[0] !== owner) note('misplaced', `${k} (slot ${slot}) on ${h[0]}, owner ${owner}`);
  }
  for (const [k, h] of holders) if (!expected.has(k)) note('unknown', `${k} (slot ${keySlot(k)}) on ${h.join(',')}`);
  for (const kind of Object.keys(counts) as Array<keyof typeof counts>) {
    if (counts[kind] > 0) problems.push(`${counts[kind]} keys ${kind === 'twice' ? 'on two primaries' : kind === 'unknown' ? 'never written held by a primary' : kind === 'missing' ? 'on no primary' : 'on a primary that does not own their slot'}: ${examples[kind].join('; ')}`);
  }
  // Each replica holds exactly its primary's keys.
  for (const s of doc.shards) {
    const primaryKeys = keysByPort.get(nodePort(doc, s.primary));
    if (primaryKeys === undefined) continue;
    const want = new Set(primaryKeys);
    for (const r of s.replicas) {
      const port = nodePort(doc, r);
      const keys = await keysOf(port);
      if (keys === null) {
        problems.push(`replica ${port}: KEYS * failed`);
        continue;
      }
      const extra = keys.filter((k) => !want.has(k));
      const have = new Set(keys);
      const lacking = primaryKeys.filter((k) => !have.has(k));
      if (extra.length > 0 || lacking.length > 0) {
        problems.push(`replica ${port} of ${nodePort(doc, s.primary)}: ${extra.length} keys its primary does not hold (${extra.slice(0, 3).join(', ')}), ${lacking.length} of its primary's missing (${lacking.slice(0, 3).join(', ')})`);
      }
    }
  }
  return problems;
}

/** Polls placementProblems until it finds none or `timeoutMs` passes; the last problems found. */
export async function settledPlacement(ports: () => readonly number[], expected: ReadonlySet<string>, timeoutMs = 10_000): Promise<{ problems: string[]; doc: TopologyDoc; ms: number }> {
  const start = Date.now();
  for (;;) {
    const doc = await newestTopology(ports());
    const problems = await placementProblems(doc, expected);
    if (problems.length === 0 || Date.now() - start > timeoutMs) return { problems, doc, ms: Date.now() - start };
    await sleep(250);
  }
}

// ---- kills ----------------------------------------------------------------------------------

/** A kill -9 of a node: when, and the slots its shard served if it was a primary. */
export interface KillWindow {
  label: string;
  at: number;
  port: number;
  pid: number;
  /** The shard it was the primary of, if it was one; the shard it was in (primary or replica). */
  shard?: string;
  memberOf?: string;
  /** The slots of the killed primary's shard (those of the batch in flight too): empty for a replica. */
  slots: ReadonlySet<number>;
}

/** kill -9 of the node process on `port`; the window for the checks. */
export async function killNode(ports: readonly number[], port: number, label: string, extraSlots: Iterable<number> = []): Promise<KillWindow> {
  const doc = await newestTopology(ports);
  const v = await nodeView(port);
  if (v.pid <= 0) throw new Error(`${port} does not answer: nothing to kill`);
  const at = Date.now();
  process.kill(v.pid, 'SIGKILL');
  return killWindow(doc, port, v.pid, at, label, extraSlots);
}

/**
 * The window for the checks of a kill -9 of `port` (process `pid`) at `at`, from `doc`, read just
 * before or just after it (a primary's slots: its shard's in `doc`, and `extraSlots`).
 */
export function killWindow(doc: TopologyDoc, port: number, pid: number, at: number, label: string, extraSlots: Iterable<number> = []): KillWindow {
  const id = doc.nodes.find((n) => n.port === port)?.id;
  const shard = doc.shards.find((s) => s.primary === id);
  const memberOf = doc.shards.find((s) => s.primary === id || (id !== undefined && s.replicas.includes(id)))?.id;
  const slots = shard === undefined ? new Set<number>() : slotsOfShard(doc, shard.id);
  if (shard !== undefined) for (const s of extraSlots) slots.add(s);
  return { label: `${label} (${port}, pid ${pid}, ${shard === undefined ? `a replica in ${memberOf}` : `primary of ${shard.id}, ${slots.size} slots`})`, at, port, pid, shard: shard?.id, memberOf, slots };
}

// ---- the workload ---------------------------------------------------------------------------

type Outcome = 'ok' | 'unknown';

interface Write {
  value: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** SET ... PX: the expiry asked for (ms). */
  px?: number;
  /** The absolute expiry, when not [start + px, end + px] (a rebased value keeps its write's). */
  expiresAt?: readonly [number, number];
}

/** A register: one writer, unique values. A pair is two keys written by MSET and read by MGET. */
interface Register {
  name: string;
  keys: string[];
  slot: number;
  ttl: boolean;
  writes: Write[];
  index: Map<string, number>;
}

interface Read {
  reg: Register;
  values: Array<string | null>;
  start: number;
  end: number;
  client: string;
}

interface Incr {
  start: number;
  end: number;
  outcome: Outcome;
  /** The replies (one per key); empty when unknown. */
  replies: number[];
  /** The raw client's: the port that answered, and the redirects and retries on the way. */
  node?: number;
  path?: string;
}

/** A counter: INCR on one key, or MULTI INCR INCR EXEC on a hash-tagged pair. */
interface Counter {
  keys: string[];
  slot: number;
  ops: Incr[];
  /** ops already checked by a verify. */
  checked: number;
  /** The value the last verify found; what was counted since: acknowledged, unknown, at risk, in flight at a kill. */
  base: number;
  acked: number;
  unknown: number;
  risky: number;
  doubled: number;
  kills: Set<KillWindow>;
}

export interface WorkloadError {
  /** When the command was sent, and when it failed. */
  start: number;
  at: number;
  task: string;
  op: string;
  key: string;
  message: string;
  /** Explained by a kill: a non-idempotent command in flight on the killed primary's connection. */
  byKill?: string;
}

export interface PhaseReport {
  label: string;
  ops: Record<string, number>;
  reads: number;
  keys: number;
  /** Must be empty: the first finding of each key (up to 10 keys). */
  wrong: string[];
  wrongCount: number;
  wrongKeys: number;
  /** For the first keys found wrong: the slot, and when the write that went missing was acknowledged. */
  evidence: Array<{ key: string; slot: number; at: number }>;
  /** Documented losses within a kill window: counted, reported. */
  tolerated: string[];
  toleratedCount: number;
  /** Errors the workload got in this phase (all of them). */
  errors: WorkloadError[];
  /** Of which not explained by a kill (must be none). */
  unexplainedErrors: WorkloadError[];
  ttlDrift: { max: number; keys: number };
  text: string;
}

export interface WorkloadOptions {
  seeds: string[];
  ioredis?: ClusterOptions;
  corral?: Partial<ClientOptions>;
  /** Keys only preloaded and read back (default 16,000). */
  staticKeys?: number;
  /** Each task's pause between operations (ms; default 2). */
  paceMs?: number;
}

const randInt = (n: number): number => Math.floor(Math.random() * n);

export class ReshardWorkload {
  readonly io: Cluster;
  readonly cc: CorralClient;
  /** A client that routes itself over raw connections and says which node answered. */
  readonly raw: RawRouter;
  private readonly registers: Register[] = [];
  private readonly regByTask = new Map<string, Register[]>();
  private readonly counters: Counter[] = [];
  private readonly counterByTask = new Map<string, Counter[]>();
  private readonly staticKeys: string[] = [];
  private reads: Read[] = [];
  private errors: WorkloadError[] = [];
  private readonly kills: KillWindow[] = [];
  private ops: Record<string, number> = {};
  private running: Promise<void>[] = [];
  private stopping = false;
  private seq = 0;
  /** ioredis 'error' / 'node error' events (connection noise, not the application's). */
  clientEvents: string[] = [];
  private readonly pace: number;

  constructor(private readonly options: WorkloadOptions) {
    this.io = new Cluster(
      options.seeds.map((s) => ({ host: s.split(':')[0], port: Number(s.split(':')[1]) })),
      options.ioredis ?? {},
    );
    this.io.on('error', (e: Error) => this.clientEvents.push(`error ${e.message}`));
    this.io.on('node error', (e: Error, key: string) => this.clientEvents.push(`node error ${key}: ${e.message}`));
    this.cc = createClient({ nodes: options.seeds, ...(options.corral ?? {}) });
    this.raw = new RawRouter(options.seeds.map((s) => Number(s.split(':')[1])));
    this.pace = options.paceMs ?? 2;
    const reg = (task: string, name: string, keys: string[], ttl: boolean): void => {
      const r: Register = { name, keys, slot: keySlot(keys[0]), ttl, writes: [], index: new Map() };
      this.registers.push(r);
      const list = this.regByTask.get(task) ?? [];
      list.push(r);
      this.regByTask.set(task, list);
    };
    const counter = (task: string, keys: string[]): void => {
      const c: Counter = { keys, slot: keySlot(keys[0]), ops: [], checked: 0, base: 0, acked: 0, unknown: 0, risky: 0, doubled: 0, kills: new Set() };
      this.counters.push(c);
      const list = this.counterByTask.get(task) ?? [];
      list.push(c);
      this.counterByTask.set(task, list);
    };
    // Registers: three writers (two on ioredis, one on corral's client), 400 keys each.
    for (const w of ['io-w1', 'io-w2', 'cc-w3']) for (let i = 0; i < 400; i++) reg(w, `reg:${w}:${i}`, [`reg:${w}:${i}`], false);
    // Keys with TTLs, rewritten with new ones by corral's client and by ioredis.
    for (const w of ['cc-ttl', 'io-ttl']) for (let i = 0; i < 750; i++) reg(w, `ttl:${w}:${i}`, [`ttl:${w}:${i}`], true);
    // Hash-tagged pairs: MSET both, MGET both.
    for (const w of ['io-pair', 'cc-pair']) for (let i = 0; i < 150; i++) reg(w, `{user:${w}:${i}}`, [`{user:${w}:${i}}a`, `{user:${w}:${i}}b`], false);
    // Counters: INCR (each client), MULTI/EXEC INCR INCR on pairs (ioredis).
    for (const w of ['io-incr', 'cc-incr', 'raw-incr']) for (let i = 0; i < 50; i++) counter(w, [`cnt:${w}:${i}`]);
    for (let i = 0; i < 50; i++) counter('io-multi', [`{user:multi:${i}}c1`, `{user:multi:${i}}c2`]);
    for (let i = 0; i < (options.staticKeys ?? 16_000); i++) this.staticKeys.push(`static:${i}`);
  }

  /** Every key the workload writes. */
  allKeys(): Set<string> {
    const out = new Set<string>(this.staticKeys);
    for (const r of this.registers) for (const k of r.keys) out.add(k);
    for (const c of this.counters) for (const k of c.keys) out.add(k);
    return out;
  }

  addKill(k: KillWindow): void {
    this.kills.push(k);
  }

  private value(reg: Register, tag: string): string {
    return `${tag}-${++this.seq}-${reg.name}`;
  }

  private record(reg: Register, w: Write): void {
    reg.index.set(w.value, reg.writes.length);
    reg.writes.push(w);
  }

  /** Every key written before the moves, so they carry data: ~20k keys. */
  async preload(): Promise<void> {
    const jobs: Array<() => Promise<void>> = [];
    for (const k of this.staticKeys) jobs.push(async () => void (await this.io.set(k, `v:${k}`)));
    for (const r of this.registers) {
      jobs.push(async () => {
        const value = this.value(r, 'pre');
        const px = r.ttl ? 60_000 + randInt(60_001) : undefined;
        const start = Date.now();
        if (r.keys.length === 2) await this.io.mset(r.keys[0], value, r.keys[1], value);
        else if (px !== undefined) await this.io.set(r.keys[0], value, 'PX', px);
        else await this.io.set(r.keys[0], value);
        this.record(r, { value, start, end: Date.now(), outcome: 'ok', px });
      });
    }
    for (let i = 0; i < jobs.length; i += 500) await Promise.all(jobs.slice(i, i + 500).map((j) => j()));
  }

  start(): void {
    if (this.running.length > 0) throw new Error('the workload is running');
    this.stopping = false;
    const loop = (task: string, body: () => Promise<void>): Promise<void> =>
      (async () => {
        while (!this.stopping) {
          await body();
          if (this.pace > 0) await sleep(this.pace);
        }
      })();
    for (const task of ['io-w1', 'io-w2', 'cc-w3']) {
      const client = task.startsWith('io') ? 'io' : 'cc';
      const regs = this.regByTask.get(task)!;
      this.running.push(loop(task, () => this.writeThenRead(task, client, regs[randInt(regs.length)])));
    }
    for (const task of ['cc-ttl', 'io-ttl']) {
      const client = task.startsWith('io') ? 'io' : 'cc';
      const regs = this.regByTask.get(task)!;
      this.running.push(loop(task, () => this.writeThenRead(task, client, regs[randInt(regs.length)])));
    }
    for (const task of ['io-pair', 'cc-pair']) {
      const client = task.startsWith('io') ? 'io' : 'cc';
      const regs = this.regByTask.get(task)!;
      this.running.push(loop(task, () => this.writeThenRead(task, client, regs[randInt(regs.length)])));
    }
    // Readers of everyone's registers, concurrent with their writers.
    this.running.push(loop('io-reader', () => this.readOne('io-reader', 'io', this.registers[randInt(this.registers.length)])));
    this.running.push(loop('cc-reader', () => this.readOne('cc-reader', 'cc', this.registers[randInt(this.registers.length)])));
    for (const task of ['io-incr', 'cc-incr', 'io-multi', 'raw-incr']) {
      const cs = this.counterByTask.get(task)!;
      this.running.push(loop(task, () => this.increment(task, cs[randInt(cs.length)])));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.running = [];
  }

  private count(op: string): void {
    this.ops[op] = (this.ops[op] ?? 0) + 1;
  }

  private failed(task: string, op: string, key: string, start: number, err: unknown): void {
    this.errors.push({ start, at: Date.now(), task, op, key, message: `${(err as Error).name}: ${(err as Error).message}` });
  }

  private async write(task: string, client: 'io' | 'cc', reg: Register): Promise<boolean> {
    const value = this.value(reg, task);
    const px = reg.ttl ? 60_000 + randInt(60_001) : undefined;
    const w: Write = { value, start: Date.now(), end: 0, outcome: 'unknown', px };
    this.record(reg, w);
    const op = reg.keys.length === 2 ? 'MSET' : 'SET';
    this.count(op);
    try {
      let r: unknown;
      if (reg.keys.length === 2) {
        r = client === 'io' ? await this.io.mset(reg.keys[0], value, reg.keys[1], value) : await this.cc.mset([[reg.keys[0], value], [reg.keys[1], value]]);
      } else if (px !== undefined) {
        r = client === 'io' ? await this.io.set(reg.keys[0], value, 'PX', px) : await this.cc.set(reg.keys[0], value, { px });
      } else {
        r = client === 'io' ? await this.io.set(reg.keys[0], value) : await this.cc.set(reg.keys[0], value);
      }
      w.end = Date.now();
      if (r !== 'OK') throw new Error(`${op} answered ${JSON.stringify(r)}`);
      w.outcome = 'ok';
      return true;
    } catch (err) {
      w.end = Date.now();
      this.failed(task, op, reg.keys[0], w.start, err);
      return false;
    }
  }

  private async readOne(task: string, client: 'io' | 'cc', reg: Register): Promise<void> {
    const start = Date.now();
    const op = reg.keys.length === 2 ? 'MGET' : 'GET';
    this.count(op);
    try {
      let values: Array<string | null>;
      if (reg.keys.length === 2) values = client === 'io' ? await this.io.mget(reg.keys[0], reg.keys[1]) : await this.cc.mget(reg.keys[0], reg.keys[1]);
      else values = [client === 'io' ? await this.io.get(reg.keys[0]) : await this.cc.get(reg.keys[0])];
      this.reads.push({ reg, values, start, end: Date.now(), client: task });
    } catch (err) {
      this.failed(task, op, reg.keys[0], start, err);
    }
  }

  private async writeThenRead(task: string, client: 'io' | 'cc', reg: Register): Promise<void> {
    if (await this.write(task, client, reg)) await this.readOne(task, client, reg);
  }

  private async increment(task: string, c: Counter): Promise<void> {
    const op: Incr = { start: Date.now(), end: 0, outcome: 'unknown', replies: [] };
    c.ops.push(op);
    const name = c.keys.length === 2 ? 'MULTI' : 'INCR';
    this.count(name);
    try {
      if (c.keys.length === 2) {
        const r = await this.io.multi().incr(c.keys[0]).incr(c.keys[1]).exec();
        if (r === null) throw new Error('EXEC answered null (aborted)');
        for (const [err, v] of r) {
          if (err !== null) throw err;
          op.replies.push(Number(v));
        }
      } else if (task === 'raw-incr') {
        op.replies.push(await this.raw.incr(c.keys[0], c.slot, op));
      } else {
        op.replies.push(task.startsWith('io') ? await this.io.incr(c.keys[0]) : await this.cc.incr(c.keys[0]));
      }
      op.end = Date.now();
      op.outcome = 'ok';
    } catch (err) {
      op.end = Date.now();
      op.replies = [];
      this.failed(task, name, c.keys[0], op.start, err);
    }
  }

  // ---- checks -------------------------------------------------------------------------------

  /** A write acknowledged within a kill's lag allowance by the killed primary of its slot. */
  private atRisk(slot: number, w: { end: number; outcome: Outcome }): KillWindow | null {
    if (w.outcome !== 'ok') return null;
    for (const k of this.kills) if (k.slots.has(slot) && w.end >= k.at - LAG_ALLOWANCE_MS && w.end <= k.at + 200) return k;
    return null;
  }

  /** A command in flight on the killed primary of its slot at the kill. */
  private inFlightAtKill(slot: number, op: { start: number; end: number }): KillWindow | null {
    for (const k of this.kills) if (k.slots.has(slot) && op.start <= k.at + 1000 && op.end >= k.at) return k;
    return null;
  }

  /**
   * A kill of the node a failed command's message names (corral's client and RawRouter name the
   * node), the command in flight at the kill: a client whose slot map is older than a move sends
   * to the slot's former owner, which would have answered MOVED had it not been killed.
   */
  private killOfNamedNode(message: string, op: { start: number; end: number }): KillWindow | null {
    for (const k of this.kills) if (new RegExp(`\\b${k.port}\\b`).test(message) && op.start <= k.at + 1000 && op.end >= k.at) return k;
    return null;
  }

  /**
   * Whether `value` may be read from `reg` by a read over [start, end]: 'ok', 'tolerated' (an
   * older value, every newer acknowledged write before the read being at risk from a kill), or
   * what is wrong.
   */
  private judge(reg: Register, value: string | null, start: number, end: number): { verdict: 'ok' | 'tolerated' | 'wrong'; why: string; lostAt?: number } {
    const at = value === null ? -1 : (reg.index.get(value) ?? -2);
    const show = (i: number): string => (i < 0 ? 'nothing' : `${JSON.stringify(reg.writes[i].value)} (${reg.writes[i].outcome}, [${reg.writes[i].start}, ${reg.writes[i].end}])`);
    if (at === -2) return { verdict: 'wrong', why: `${JSON.stringify(value)} was never written` };
    if (at >= 0 && reg.writes[at].start > end) return { verdict: 'wrong', why: `${show(at)} was written after the read ended at ${end}` };
    // The last write acknowledged before the read began.
    let base = -1;
    for (let i = reg.writes.length - 1; i >= 0; i--) {
      const w = reg.writes[i];
      if (w.outcome === 'ok' && w.end < start) {
        base = i;
        break;
      }
    }
    if (at >= base) return { verdict: 'ok', why: '' };
    // Older than an acknowledged write: tolerated only if each acknowledged write after it was at risk.
    const newer = reg.writes.slice(at + 1, base + 1).filter((w) => w.outcome === 'ok');
    const risks = newer.map((w) => this.atRisk(reg.slot, w));
    const why = `${value === null ? 'nil' : show(at)}, but ${show(base)} was acknowledged before the read began at ${start}`;
    if (risks.every((r) => r !== null)) return { verdict: 'tolerated', why: `${why} (lost at ${risks[0]!.label})` };
    // When the first write that went missing was acknowledged: where to look in the logs.
    return { verdict: 'wrong', why, lostAt: newer[risks.findIndex((r) => r === null)].end };
  }

  /**
   * Checks everything recorded since the last verify, then the final state (the workload must be
   * stopped): every register's value (and TTL), every counter, every static key.
   */
  async verify(label: string): Promise<PhaseReport> {
    if (this.running.length > 0) throw new Error('stop the workload before verify');
    // Findings by key: how many, and the first (the later ones of a key mostly follow from it).
    type Finding = { first: string; n: number; slot: number; at: number };
    const wrongBy = new Map<string, Finding>();
    const toleratedBy = new Map<string, Finding>();
    const note = (m: Map<string, Finding>, key: string, text: string, at: number): void => {
      const e = m.get(key);
      if (e === undefined) m.set(key, { first: text, n: 1, slot: keySlot(key), at });
      else e.n++;
    };
    const bad = (key: string, text: string, at = 0): void => note(wrongBy, key, text, at);
    const ok = (key: string, text: string): void => note(toleratedBy, key, text, 0);
    // Reads made while the workload ran.
    for (const r of this.reads) {
      const name = r.reg.keys.length === 2 ? `MGET ${r.reg.keys.join(' ')}` : `GET ${r.reg.keys[0]}`;
      if (r.values.length === 2 && r.values[0] !== r.values[1]) bad(r.reg.keys[0], `${name} by ${r.client}: a torn pair ${JSON.stringify(r.values)}`);
      const j = this.judge(r.reg, r.values[0], r.start, r.end);
      if (j.verdict === 'wrong') bad(r.reg.keys[0], `${name} by ${r.client} [${r.start}, ${r.end}]: ${j.why}`, j.lostAt ?? r.start);
      else if (j.verdict === 'tolerated') ok(r.reg.keys[0], `${name} by ${r.client}: ${j.why}`);
    }
    const readCount = this.reads.length;
    this.reads = [];
    // Final values, read through the clients (registers by ioredis, TTLs by corral's client).
    const now = Date.now();
    let ttlMax = 0;
    let ttlKeys = 0;
    await inChunks(this.registers, 200, async (reg) => {
      const start = Date.now();
      const values = reg.keys.length === 2 ? await this.io.mget(reg.keys[0], reg.keys[1]) : [await this.io.get(reg.keys[0])];
      const end = Date.now();
      if (values.length === 2 && values[0] !== values[1]) bad(reg.keys[0], `final MGET ${reg.keys.join(' ')}: a torn pair ${JSON.stringify(values)}`);
      const j = this.judge(reg, values[0], start, end);
      if (j.verdict === 'wrong') bad(reg.keys[0], `final ${reg.keys[0]} (slot ${reg.slot}): ${j.why}`, j.lostAt ?? start);
      else if (j.verdict === 'tolerated') ok(reg.keys[0], `final ${reg.keys[0]}: ${j.why}`);
      // Rebase: the next phase judges from the value found (a loss is reported once).
      if (j.verdict !== 'ok' && values[0] !== null) {
        const w = reg.writes[reg.index.get(values[0])!];
        this.record(reg, { value: values[0], start: end, end, outcome: 'ok', px: w.px, expiresAt: w.px === undefined ? undefined : expiryOf(w) });
      }
      if (!reg.ttl || values[0] === null) return;
      const w = reg.writes[reg.index.get(values[0]) ?? -1];
      if (w === undefined || w.px === undefined) return;
      const qs = Date.now();
      const pttl = await this.cc.pttl(reg.keys[0]);
      const qe = Date.now();
      ttlKeys++;
      if (pttl < 0) {
        bad(reg.keys[0], `PTTL ${reg.keys[0]} = ${pttl}: its value ${JSON.stringify(values[0])} was set with PX ${w.px}`);
        return;
      }
      // The expiry the node holds is in [qs + pttl, qe + pttl + 1]; the write set it in [start + px, end + px].
      const [lo, hi] = expiryOf(w);
      const drift = Math.max(0, lo - (qe + pttl + 1), qs + pttl - hi);
      ttlMax = Math.max(ttlMax, drift);
      if (drift > TTL_TOLERANCE_MS) bad(reg.keys[0], `PTTL ${reg.keys[0]} = ${pttl} at [${qs}, ${qe}]: expires ${drift} ms away from the write's expiry [${lo}, ${hi}] (PX ${w.px})`);
    });
    // Counters: each acknowledged reply is its ordinal (within what unknown outcomes and kills
    // allow), and the final value is the number of acknowledged increments.
    // Each verify rebases a counter on the value it found, so that a phase reports what went
    // wrong in it, not again what an earlier phase found.
    await inChunks(this.counters, 50, async (c) => {
      const name = c.keys[0];
      for (let i = c.checked; i < c.ops.length; i++) {
        const op = c.ops[i];
        const k = this.inFlightAtKill(c.slot, op);
        if (k !== null && !c.kills.has(k)) {
          c.kills.add(k);
          c.doubled++;
        }
        if (op.outcome === 'unknown') {
          c.unknown++;
          continue;
        }
        c.acked++;
        if (this.atRisk(c.slot, op) !== null) c.risky++;
        if (op.replies.length === 2 && op.replies[0] !== op.replies[1]) bad(name, `MULTI INCR ${c.keys.join(' INCR ')}: EXEC answered ${JSON.stringify(op.replies)}, not equal`);
        const r = op.replies[0] - c.base;
        if (r < c.acked - c.risky || r > c.acked + c.unknown + c.doubled) {
          // The increments just before it say where it went wrong.
          const before = c.ops.slice(Math.max(0, i - 3), i + 1).map((o) => `${o.outcome} ${JSON.stringify(o.replies)} [${o.start}, ${o.end}]${o.node !== undefined ? ` from ${o.node} (${o.path})` : ''}`).join(', ');
          bad(name, `${c.keys.join('/')} (slot ${c.slot}): increment #${c.acked} since ${c.base} (${c.unknown} unknown before) answered ${op.replies[0]} at [${op.start}, ${op.end}]; it and the increments before it: ${before}`, c.ops[i - 1]?.start ?? op.start);
        } else if (r !== c.acked) ok(name, `${name}: increment #${c.acked} since ${c.base} answered ${op.replies[0]} (${c.unknown} unknown, ${c.risky} at risk, ${c.doubled} in flight at a kill)`);
      }
      c.checked = c.ops.length;
      const finals = c.keys.length === 2 ? await this.io.mget(c.keys[0], c.keys[1]) : [await this.cc.get(c.keys[0])];
      const f = finals.map((v) => Number(v ?? 0));
      if (f.length === 2 && f[0] !== f[1]) bad(name, `${name}: final values differ: ${JSON.stringify(finals)}`);
      const d = f[0] - c.base;
      if (d < c.acked - c.risky || d > c.acked + c.unknown + c.doubled) bad(name, `${name}: final ${f[0]}: ${c.acked} increments acknowledged since ${c.base}, ${c.unknown} unknown`);
      else if (d !== c.acked) ok(name, `${name}: final ${f[0]}: ${c.acked} acknowledged since ${c.base} (${c.unknown} unknown, ${c.risky} at risk, ${c.doubled} in flight at a kill)`);
      c.base = f[0];
      c.acked = c.unknown = c.risky = c.doubled = 0;
    });
    // Static keys: only preloaded; they moved with their slots.
    await inChunks(this.staticKeys, 1000, async (k) => {
      const v = await this.io.get(k);
      if (v !== `v:${k}`) bad(k, `${k} = ${JSON.stringify(v)}, preloaded as "v:${k}"`);
    });
    // Errors: those a kill explains (a non-idempotent command in flight on the killed primary, or
    // on the killed node its client sent it to).
    const errors = this.errors;
    this.errors = [];
    for (const e of errors) {
      if (e.op !== 'INCR' && e.op !== 'MULTI') continue;
      const k = this.inFlightAtKill(keySlot(e.key), { start: e.start, end: e.at }) ?? this.killOfNamedNode(e.message, { start: e.start, end: e.at });
      if (k !== null && /ConnectionError|Connection is closed|connection/i.test(e.message)) e.byKill = k.label;
    }
    const unexplained = errors.filter((e) => e.byKill === undefined);
    const ops = this.ops;
    this.ops = {};
    const list = (m: Map<string, Finding>): string[] => [...m.values()].slice(0, 10).map((e) => (e.n > 1 ? `${e.first} (and ${e.n - 1} more findings on this key)` : e.first));
    const wrong = list(wrongBy);
    const tolerated = list(toleratedBy);
    const sum = (m: Map<string, { n: number }>): number => [...m.values()].reduce((n, e) => n + e.n, 0);
    const report: PhaseReport = {
      label,
      ops,
      reads: readCount,
      keys: this.allKeys().size,
      wrong,
      wrongCount: sum(wrongBy),
      wrongKeys: wrongBy.size,
      evidence: [...wrongBy].slice(0, 3).map(([key, f]) => ({ key, slot: f.slot, at: f.at })),
      tolerated,
      toleratedCount: sum(toleratedBy),
      errors,
      unexplainedErrors: unexplained,
      ttlDrift: { max: ttlMax, keys: ttlKeys },
      text: '',
    };
    const opText = Object.entries(ops).map(([k, v]) => `${k} ${v}`).join(', ');
    report.text = [
      `${label}: ${opText}; ${readCount} reads checked; ${report.keys} keys read back (${Date.now() - now} ms)`,
      `  wrong: ${report.wrongCount} findings on ${wrongBy.size} keys${wrong.map((w) => `\n    ${w}`).join('')}`,
      `  tolerated (async replication at a kill -9): ${report.toleratedCount} findings on ${toleratedBy.size} keys${tolerated.map((w) => `\n    ${w}`).join('')}`,
      `  errors: ${errors.length} (unexplained ${unexplained.length})${errors.slice(0, 10).map((e) => `\n    ${e.at} ${e.task} ${e.op} ${e.key}: ${e.message}${e.byKill !== undefined ? ` [in flight at ${e.byKill}]` : ''}`).join('')}`,
      `  TTL keys checked ${ttlKeys}, largest drift from the write's expiry ${ttlMax} ms`,
      `  ioredis connection events (not errors of the application): ${this.clientEvents.length}${this.clientEvents.length > 0 ? ` (first: ${this.clientEvents[0]})` : ''}`,
    ].join('\n');
    this.clientEvents = [];
    return report;
  }

  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.io.disconnect();
    this.cc.close();
    this.raw.close();
  }
}

function expiryOf(w: Write): readonly [number, number] {
  return w.expiresAt ?? [w.start + w.px!, w.end + w.px!];
}

async function inChunks<T>(items: readonly T[], size: number, f: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(f));
}

/**
 * INCR over raw connections, routed by this test: a slot map from CLUSTER SLOTS, MOVED followed
 * (and the map updated), TRYAGAIN/CLUSTERDOWN retried after 20 ms, a lost connection reconnected
 * (an INCR without a reply is 'unknown'). Records which port answered.
 */
export class RawRouter {
  private readonly slots = new Array<number>(SLOT_COUNT).fill(0);
  private readonly conns = new Map<number, Promise<RawConnection>>();
  private loaded = false;

  constructor(private readonly seeds: number[]) {}

  private async load(): Promise<void> {
    for (const p of this.seeds) {
      const r = await callOnce(p, 'CLUSTER', 'SLOTS');
      if (!Array.isArray(r)) continue;
      for (const range of r as Array<[number, number, [string, number]]>) for (let s = range[0]; s <= range[1]; s++) this.slots[s] = range[2][1];
      this.loaded = true;
      return;
    }
  }

  private conn(port: number): Promise<RawConnection> {
    let c = this.conns.get(port);
    if (c === undefined) {
      c = RawConnection.connect(port);
      this.conns.set(port, c);
      c.catch(() => this.conns.delete(port));
    }
    return c;
  }

  async incr(key: string, slot: number, op: { node?: number; path?: string }): Promise<number> {
    if (!this.loaded) await this.load();
    const path: string[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = this.slots[slot];
      let c: RawConnection;
      try {
        c = await this.conn(port);
        if (c.closed) throw new Error('closed');
      } catch {
        this.conns.delete(port);
        path.push(`${port}:noconn`);
        await sleep(20);
        await this.load();
        continue;
      }
      let r: ReplyValue;
      try {
        r = await c.call('INCR', key);
      } catch (err) {
        this.conns.delete(port);
        op.path = path.join(' ');
        throw new Error(`INCR ${key} on ${port}: no reply (${(err as Error).message})`);
      }
      if (typeof r === 'number') {
        path.push(`${port}:${r}`);
        op.node = port;
        op.path = path.join(' ');
        return r;
      }
      const e = errorOf(r) ?? JSON.stringify(r);
      path.push(`${port}:${e.split(' ')[0]}`);
      const moved = /^MOVED \d+ [^:]*:(\d+)$/.exec(e);
      if (moved !== null) {
        this.slots[slot] = Number(moved[1]);
        continue;
      }
      if (e.startsWith('TRYAGAIN') || e.startsWith('CLUSTERDOWN')) {
        await sleep(20);
        continue;
      }
      op.path = path.join(' ');
      throw new Error(`INCR ${key} on ${port}: ${e}`);
    }
    op.path = path.join(' ');
    throw new Error(`INCR ${key}: gave up after 200 tries (${op.path})`);
  }

  close(): void {
    for (const c of this.conns.values()) void c.then((x) => x.close(), () => {});
    this.conns.clear();
  }
}
