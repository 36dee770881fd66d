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
//
// This file owns the checker workload (ReshardWorkload: the clients, what it records, verify) and
// re-exports the rest: reshard-control.ts (replies, the extra node, logs, the control plane),
// reshard-placement.ts, reshard-kills.ts, reshard-history.ts (the records), reshard-verdicts.ts
// (the kill tolerance and the read verdict) and reshard-raw-router.ts (RawRouter).

import { Cluster, type ClusterOptions } from 'ioredis';
import { createClient, type ClientOptions, type CorralClient } from '../../src/index.js';
import { keySlot } from '../../src/cluster/slot.js';
import { sleep } from './corral-up.js';
import type { Counter, Incr, PhaseReport, Read, Register, Write, WorkloadError } from './reshard-history.js';
import type { KillWindow } from './reshard-kills.js';
import { RawRouter } from './reshard-raw-router.js';
import { atRisk, inFlightAtKill, judge, killOfNamedNode } from './reshard-verdicts.js';

export {
  errorOf, fieldsOf, coordinatorOf, lineReader, stampedLog, mergeLogs, logAround, startExtraNode, type ExtraNode,
  newestTopology, controllerPort, reshard, reshardStatus, parseBatch, batchSlots, waitPlanDone, slotsLeft, slotOwners,
  nodePort, slotsOfShard, type BatchInFlight,
} from './reshard-control.js';
export { placementProblems, settledPlacement } from './reshard-placement.js';
export { killNode, killWindow, type KillWindow } from './reshard-kills.js';
export type { PhaseReport, WorkloadError } from './reshard-history.js';
export { LAG_ALLOWANCE_MS } from './reshard-verdicts.js';
export { RawRouter } from './reshard-raw-router.js';

export const TTL_TOLERANCE_MS = 1500;

// ---- the workload ---------------------------------------------------------------------------

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
      const j = judge(this.kills, r.reg, r.values[0], r.start, r.end);
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
      const j = judge(this.kills, reg, values[0], start, end);
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
        const k = inFlightAtKill(this.kills, c.slot, op);
        if (k !== null && !c.kills.has(k)) {
          c.kills.add(k);
          c.doubled++;
        }
        if (op.outcome === 'unknown') {
          c.unknown++;
          continue;
        }
        c.acked++;
        if (atRisk(this.kills, c.slot, op) !== null) c.risky++;
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
      const k = inFlightAtKill(this.kills, keySlot(e.key), { start: e.start, end: e.at }) ?? killOfNamedNode(this.kills, e.message, { start: e.start, end: e.at });
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
