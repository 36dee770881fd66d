// bench/lib/failover-writers.ts — the clients of the failover benchmark, all corral's own client
// (src/client, which also speaks to a Redis Cluster), so Redis and corral are seen through the
// same client with the same settings:
//
// - Probe: one loop of SETs to one key of the shard being killed, each awaited, with a short
//   command timeout; a failure is retried at once (after 1 ms if it failed in under 1 ms, so a
//   refused connection cannot become a hot loop). It tells when the first write issued after the
//   kill succeeds: the write unavailability as a client sees it.
// - LossWriters: loops that each write a fresh key of the shard per write, with increasing
//   values, paced to a rate, and record every write: plain loops (acked = SET replied OK, one
//   shared client) and WAIT loops (SET then WAIT 1 <ms> on the same connection; WAIT-acked only
//   when WAIT replied >= 1; one client per loop). After recovery every key is read back.
//
// WAIT has no key, so the client would send it to any primary; here it is routed by the shard's
// slot through the client's core (the same path its typed methods take), issued in the same
// event-loop turn as its SET so both go out in one write on that node's single connection, SET
// first. If the client followed a redirect, retried or refreshed its topology while the pair was
// in flight, the WAIT may have gone elsewhere than the SET, so that write is not counted as
// WAIT-acked (it still counts as acked by OK).

import { createClient, type CorralClient } from '../../src/client/index.js';
import { Command, Reply, type Arg } from '../../src/client/command.js';
import { BulkMode } from '../../src/protocol/reply-decoder.js';
import { sleep } from './procs.js';

export interface ClientTuning {
  /** commandTimeout (and connectTimeout), ms. */
  commandTimeoutMs: number;
  retryAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export function failoverClient(seeds: string[], t: ClientTuning): CorralClient {
  return createClient({
    nodes: seeds,
    commandTimeout: t.commandTimeoutMs,
    connectTimeout: t.commandTimeoutMs,
    retry: { attempts: t.retryAttempts, baseDelayMs: t.retryBaseDelayMs, maxDelayMs: t.retryMaxDelayMs },
    offlineQueueLimit: 100_000,
  });
}

/**
 * The node the client currently routes `slot` to ('host:port', '' if none), read from its core's
 * slot map: recorded with each write as the node that (most likely) replied.
 */
function routedNode(client: CorralClient, slot: number): string {
  const core = (client as unknown as { core: { slots?: Array<{ addr: { key: string } } | undefined> } }).core;
  return core.slots?.[slot]?.addr.key ?? '';
}

/** A command routed by `slot` (for keyless commands such as WAIT), through the client's core. */
function sendToSlot(client: CorralClient, args: Arg[], slot: number): Promise<unknown> {
  const core = (client as unknown as { core: { issue(cmd: Command): Promise<unknown> } }).core;
  return core.issue(new Command(args, slot, Reply.Raw, BulkMode.Utf8));
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; prefix?: string; message?: string };
  if (e.code === 'E_REPLY' && e.prefix !== undefined) return `E_REPLY ${e.prefix}`;
  return e.code ?? String(e.message ?? err);
}

// ---- probe -------------------------------------------------------------------------------------

export interface ProbeResult {
  /** From the kill to the end of the first successful write issued at or after it, ms. */
  unavailableMs: number;
  /** Writes issued after the kill that failed, by error code. */
  failuresByCode: Record<string, number>;
  failedAttempts: number;
  /** From the kill to the end of the first failed write, ms (NaN if none failed). */
  firstFailureMs: number;
  /** Successful writes before the kill (the shard was writable when killed). */
  okBeforeKill: number;
}

export class Probe {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private killAt = Infinity;
  private okBefore = 0;
  private failures: Record<string, number> = {};
  private failed = 0;
  private firstFailure = NaN;
  private firstOk: ((t: number) => void) | null = null;
  private seq = 0;
  lastError = '';

  constructor(private readonly client: CorralClient, private readonly key: string) {}

  start(): void {
    this.loop = this.run();
  }

  /** Successful writes so far (all before the kill if called before it). */
  get okCount(): number {
    return this.okBefore;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const t0 = performance.now();
      let ok = false;
      try {
        ok = (await this.client.set(this.key, String(++this.seq))) === 'OK';
        if (!ok) this.lastError = 'SET did not reply OK';
      } catch (err) {
        this.lastError = errorCode(err);
      }
      const t1 = performance.now();
      if (t0 >= this.killAt) {
        if (ok) {
          this.firstOk?.(t1);
          this.firstOk = null;
        } else {
          this.failed++;
          this.failures[this.lastError] = (this.failures[this.lastError] ?? 0) + 1;
          if (Number.isNaN(this.firstFailure)) this.firstFailure = t1 - this.killAt;
        }
      } else if (ok) {
        this.okBefore++;
      }
      if (!ok && t1 - t0 < 1) await sleep(1);
    }
  }

  /**
   * Marks the kill time (performance.now()) and resolves once a write issued at or after it
   * succeeds; rejects after timeoutMs, or if abort() gives a reason.
   */
  async untilWritable(killAt: number, timeoutMs: number, abort: () => string | null): Promise<ProbeResult> {
    this.killAt = killAt;
    const okAt = await new Promise<number>((resolve, reject) => {
      const check = setInterval(() => {
        const why = abort();
        const late = performance.now() - killAt > timeoutMs;
        if (why === null && !late) return;
        clearInterval(check);
        this.firstOk = null;
        reject(new Error(why ?? `no write to the killed shard succeeded within ${Math.round(timeoutMs / 1000)} s (last error: ${this.lastError})`));
      }, 50);
      this.firstOk = (t) => {
        clearInterval(check);
        resolve(t);
      };
    });
    return {
      unavailableMs: okAt - killAt,
      failuresByCode: { ...this.failures },
      failedAttempts: this.failed,
      firstFailureMs: this.firstFailure,
      okBeforeKill: this.okBefore,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Ends the loop without waiting (error paths; close the client too so its write settles). */
  abort(): void {
    this.stopped = true;
    this.firstOk = null;
  }
}

// ---- loss writers ------------------------------------------------------------------------------

export interface WriteRecord {
  key: string;
  value: string;
  kind: 'plain' | 'wait';
  /** Issue and completion times, ms relative to the kill (negative before it). */
  start: number;
  end: number;
  /** SET replied OK. */
  ok: boolean;
  /** WAIT's reply (WAIT loops), null if it failed or was not sent. */
  waitReplicas: number | null;
  /** WAIT loops: no redirect/retry/refresh while the pair was in flight (see the file comment). */
  waitTrusted: boolean;
  /** WAIT-acked: ok, waitReplicas >= 1 and waitTrusted. */
  waitAcked: boolean;
  error: string | null;
  /** The node the client routed the slot to when the reply (or error) came. */
  node: string;
}

export interface LossWriterOptions {
  seeds: string[];
  tuning: ClientTuning;
  /** Hash tag of the shard (keys are `{tag}:...`) and its slot. */
  tag: string;
  slot: number;
  /** Distinguishes this kill's keys from earlier ones. */
  runId: string;
  plainLoops: number;
  waitLoops: number;
  /** Writes per second per loop (0: as fast as each loop's round trips allow). */
  ratePerLoop: number;
  waitTimeoutMs: number;
}

export class LossWriters {
  readonly records: WriteRecord[] = [];
  private stopped = false;
  private loops: Array<Promise<void>> = [];
  private clients: CorralClient[] = [];
  /** Times are recorded relative to this (set to the kill time once known). */
  private origin = performance.now();

  constructor(private readonly o: LossWriterOptions) {}

  async start(): Promise<void> {
    const plainClient = failoverClient(this.o.seeds, this.o.tuning);
    this.clients.push(plainClient);
    await plainClient.ready();
    for (let i = 0; i < this.o.plainLoops; i++) this.loops.push(this.plainLoop(plainClient, i));
    for (let i = 0; i < this.o.waitLoops; i++) {
      const c = failoverClient(this.o.seeds, this.o.tuning);
      this.clients.push(c);
      await c.ready();
      this.loops.push(this.waitLoop(c, i));
    }
  }

  /** From now on, times are relative to `t` (performance.now() of the kill); earlier records are shifted. */
  setOrigin(t: number): void {
    const shift = this.origin - t;
    for (const r of this.records) {
      r.start += shift;
      r.end += shift;
    }
    this.origin = t;
  }

  /**
   * Paces a loop to ratePerLoop: waits until its next slot. A loop that fell behind (its writes
   * failed slowly during the outage) starts afresh from now instead of bursting to catch up.
   */
  private async pace(state: { next: number }): Promise<void> {
    if (this.o.ratePerLoop <= 0) return;
    const interval = 1000 / this.o.ratePerLoop;
    const now = performance.now();
    state.next = Math.max(state.next + interval, now - interval);
    const wait = state.next - now;
    if (wait >= 1) await sleep(wait);
  }

  private key(loop: string, seq: number): string {
    return `{${this.o.tag}}:${this.o.runId}:${loop}:${seq}`;
  }

  private async plainLoop(client: CorralClient, n: number): Promise<void> {
    const loop = `p${n}`;
    const pacing = { next: performance.now() };
    for (let seq = 1; !this.stopped; seq++) {
      await this.pace(pacing);
      const key = this.key(loop, seq);
      const value = String(seq);
      const t0 = performance.now();
      let ok = false;
      let error: string | null = null;
      try {
        ok = (await client.set(key, value)) === 'OK';
        if (!ok) error = 'not OK';
      } catch (err) {
        error = errorCode(err);
      }
      const t1 = performance.now();
      this.records.push({
        key, value, kind: 'plain', start: t0 - this.origin, end: t1 - this.origin, ok,
        waitReplicas: null, waitTrusted: false, waitAcked: false, error, node: routedNode(client, this.o.slot),
      });
      if (!ok && t1 - t0 < 1) await sleep(1);
    }
  }

  private async waitLoop(client: CorralClient, n: number): Promise<void> {
    const loop = `w${n}`;
    const pacing = { next: performance.now() };
    for (let seq = 1; !this.stopped; seq++) {
      await this.pace(pacing);
      const key = this.key(loop, seq);
      const value = String(seq);
      const s0 = { ...client.stats };
      const t0 = performance.now();
      // Same turn: SET then WAIT are written together on the slot's connection.
      const pSet = client.set(key, value);
      const pWait = sendToSlot(client, ['WAIT', 1, this.o.waitTimeoutMs], this.o.slot);
      const [rSet, rWait] = await Promise.allSettled([pSet, pWait]);
      const t1 = performance.now();
      const s1 = client.stats;
      const ok = rSet.status === 'fulfilled' && rSet.value === 'OK';
      const waitReplicas = rWait.status === 'fulfilled' && typeof rWait.value === 'number' ? rWait.value : null;
      const trusted = s1.redirects === s0.redirects && s1.retries === s0.retries && s1.refreshes === s0.refreshes;
      let error: string | null = null;
      if (rSet.status === 'rejected') error = errorCode(rSet.reason);
      else if (!ok) error = 'not OK';
      else if (rWait.status === 'rejected') {
        const e = rWait.reason as { code?: string; message?: string };
        error = `WAIT: ${e.code === 'E_REPLY' ? String(e.message).slice(0, 100) : errorCode(e)}`;
      }
      this.records.push({
        key, value, kind: 'wait', start: t0 - this.origin, end: t1 - this.origin, ok, waitReplicas,
        waitTrusted: trusted, waitAcked: ok && trusted && waitReplicas !== null && waitReplicas >= 1, error,
        node: routedNode(client, this.o.slot),
      });
      if (!ok && t1 - t0 < 1) await sleep(1);
    }
  }

  /** Stops every loop (each finishes its write in flight) and closes the clients. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients) c.close();
  }

  /** Closes the clients at once (error paths). */
  abort(): void {
    this.stopped = true;
    for (const c of this.clients) c.close();
  }
}

/** Reads every key back (MGET in batches; all keys of one slot): key -> value or null. */
export async function readBack(client: CorralClient, keys: string[], batch = 500): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += batch) {
    const part = keys.slice(i, i + batch);
    const vals = await client.mget(part);
    part.forEach((k, j) => out.set(k, vals[j] ?? null));
  }
  return out;
}
