// `corral import redis://HOST:PORT[/db] --cluster HOST:PORT | --to HOST:PORT`: copies a running
// Redis's keys into a corral cluster or node (or a Redis Cluster, or another Redis). This file
// owns the copy (importKeys: the counts, no printing) and the command around it (runImport: the
// progress bar or lines, the final count, the exit code). The source side (address, a pipelining
// binary-safe RESP connection, which nodes to scan) is import-source.ts.
//
// The copy, per source node: SCAN cursor [MATCH p] COUNT n; the keys in batches of --batch, each
// batch's DUMP and PTTL pipelined in one write; then one RESTORE key ttl payload [REPLACE] per key
// through corral's client (src/client), which routes each by its slot to the primary that owns it
// (CLUSTER SLOTS), writes every RESTORE of the batch in one write per node, follows MOVED/ASK and
// retries what is safe to retry. While a batch's RESTOREs are in flight the next batch is read
// (up to WINDOW batches in flight). A batch holds --batch keys, or fewer when values are large
// (about BATCH_BYTES a batch, from the sizes seen so far). --rate paces the bytes read (key +
// payload) per second: a batch is read once the bytes before it fit in the rate.
//
// Per key: DUMP nil or PTTL -2 (expired or deleted since SCAN) → skipped; the TTL is kept as a
// deadline from the moment of the DUMP, and a key whose deadline passes before its RESTORE is
// sent is skipped too (a TTL of 0 would make it persistent); BUSYKEY (the key exists on the
// target, without --replace) → skipped; any other error (a type the target cannot load, an
// unreachable node, OOM) → failed, with its reason. A key SCAN returns twice (Redis may, while
// its table is resized) is restored twice: the second is skipped, or replaced with --replace.

import { SingleBar } from 'cli-progress';
import { createClient, type CorralClient } from '../client/commands.js';
import { CorralError, ReplyError } from '../client/errors.js';
import { RespError } from '../protocol/reply-decoder.js';
import { openSource, hostPort, parseSourceUrl, type SourceNode, type SourcePlan } from './import-source.js';
import { CliError, formatDuration, formatMB, parseRate, splitAddress } from './reshard-format.js';

export interface ImportOptions {
  /** `redis://[user:pass@]host:port[/db]`. */
  source: string;
  /** Any node of the target cluster (exactly one of cluster and to). */
  cluster?: string;
  /** One standalone target node. */
  to?: string;
  /** The target's AUTH. */
  username?: string;
  password?: string;
  /** RESTORE ... REPLACE: overwrite keys that exist on the target (else they are skipped). */
  replace?: boolean;
  /** SCAN MATCH pattern. */
  match?: string;
  /** SCAN COUNT (default 1000). */
  count?: number;
  /** Keys per pipelined round trip at most (default 1000; fewer when values are large: about 8 MB a batch). */
  batch?: number;
  /** Bytes (keys + payloads) per second at most; 0 or absent: unlimited. */
  rate?: number;
  /** Distinct failure reasons kept for the report (default 5). */
  keepFailures?: number;
  /** Called once the source and target are connected, before the first key. */
  onStart?(info: ImportStart): void;
  /** Called after each batch is settled. */
  onProgress?(p: ImportProgress): void;
  /** Stops after the batches in flight (the result says interrupted). */
  signal?: AbortSignal;
}

export interface ImportStart {
  /** The source nodes scanned (several for a cluster source). */
  sources: string[];
  /** The target's primaries. */
  targets: string[];
  /** DBSIZE of the copied database (with --match: an upper bound). */
  total: number;
  notes: string[];
}

export interface ImportProgress {
  total: number;
  /** Keys SCAN returned so far. */
  scanned: number;
  copied: number;
  skipped: number;
  failed: number;
  /** Key and payload bytes read from the source. */
  bytes: number;
  elapsedMs: number;
}

/** A reason keys failed for, with the first key that did. */
export interface ImportFailure {
  key: Buffer;
  reason: string;
  /** Keys that failed for this reason. */
  count: number;
}

export interface ImportResult extends ImportProgress {
  /** Skipped because the key exists on the target (BUSYKEY, without --replace). */
  skippedExisting: number;
  /** Skipped because the key expired or was deleted on the source during the copy. */
  skippedGone: number;
  /** The first keepFailures distinct reasons, in the order seen. */
  failures: ImportFailure[];
  /** Failed keys whose reason is not in `failures`. */
  otherFailures: number;
  /** Stopped by the signal. */
  interrupted: boolean;
  /** Why the copy stopped early (the target stopped answering), or null. */
  stopped: string | null;
}

/** Batches whose RESTOREs may be in flight while the next one is read from the source. */
const WINDOW = 4;
/** Bytes a batch aims at: with large values a batch holds fewer keys than --batch. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Consecutive batches in which every key failed before giving up (a target down, or out of memory). */
const DEAD_TARGET_BATCHES = 5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Paces bytes to `rate` per second: each batch waits until the budget of the ones before it is spent. */
export class BytePacer {
  private freeAt = 0;
  constructor(readonly rate: number) {}

  async take(bytes: number): Promise<void> {
    if (!(this.rate > 0) || bytes <= 0) return;
    const now = Date.now();
    // Up to a quarter second of unused budget carries over (bursts stay short).
    const start = Math.max(this.freeAt, now - 250);
    this.freeAt = start + (bytes * 1000) / this.rate;
    const wait = start - now;
    if (wait > 0) await sleep(wait);
  }
}

interface Item {
  key: Buffer;
  payload: Buffer;
  /** Date.now() by which the key expires, or 0 for none. */
  expiresAt: number;
}

/** A target that could not take the key: a connection problem rather than the key's own. */
const connectionLike = (err: unknown): boolean =>
  err instanceof CorralError && ['E_CONNECTION', 'E_TIMEOUT', 'E_CLUSTER_DOWN', 'E_OFFLINE_QUEUE_FULL', 'E_CLIENT_CLOSED', 'E_REDIRECTS'].includes(err.code);

async function openTarget(o: ImportOptions, batch: number): Promise<{ client: CorralClient; entry: string }> {
  if ((o.cluster === undefined) === (o.to === undefined)) {
    throw new CliError('give the target: --cluster HOST:PORT (any node of a cluster) or --to HOST:PORT (a standalone node)');
  }
  const entry = (o.cluster ?? o.to)!;
  splitAddress(entry);
  const client = createClient({
    nodes: [entry],
    username: o.username,
    password: o.password,
    commandTimeout: 30_000,
    offlineQueueLimit: Math.max(10_000, batch * (WINDOW + 1)),
  });
  try {
    await client.ready();
  } catch (err) {
    client.close();
    throw new CliError(`cannot reach the target ${entry}: ${(err as Error).message}`);
  }
  if (o.cluster !== undefined && client.mode !== 'cluster') {
    client.close();
    throw new CliError(`${entry} is not in cluster mode: give --to ${entry} to import into that one node`);
  }
  if (o.to !== undefined && client.mode === 'cluster') {
    client.close();
    throw new CliError(`${entry} is a cluster node: give --cluster ${entry} to import into its cluster`);
  }
  return { client, entry };
}

function positive(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new CliError(`${what} must be a positive integer`);
  return v;
}

/** Copies the source's keys into the target; resolves with the counts (throws CliError on a setup problem). */
export async function importKeys(o: ImportOptions): Promise<ImportResult> {
  const count = positive(o.count, 1000, '--count');
  const batch = positive(o.batch, 1000, '--batch');
  const keep = o.keepFailures ?? 5;
  const src = parseSourceUrl(o.source);
  const { client, entry } = await openTarget(o, batch);
  let plan: SourcePlan | null = null;
  try {
    if (hostPort(src) === entry) throw new CliError(`the source and the target are the same server (${entry})`);
    plan = await openSource(src);
    const startedAt = Date.now();
    const r: ImportResult = {
      total: plan.total, scanned: 0, copied: 0, skipped: 0, failed: 0, bytes: 0, elapsedMs: 0,
      skippedExisting: 0, skippedGone: 0, failures: [], otherFailures: 0, interrupted: false, stopped: null,
    };
    o.onStart?.({ sources: plan.nodes.map((n) => n.name), targets: client.nodes(), total: plan.total, notes: plan.notes });
    const progress = (): void => {
      r.elapsedMs = Date.now() - startedAt;
      o.onProgress?.({ total: r.total, scanned: r.scanned, copied: r.copied, skipped: r.skipped, failed: r.failed, bytes: r.bytes, elapsedMs: r.elapsedMs });
    };
    const reasons = new Map<string, ImportFailure>();
    const fail = (key: Buffer, reason: string): void => {
      r.failed++;
      const f = reasons.get(reason);
      if (f !== undefined) f.count++;
      else if (r.failures.length < keep) {
        const first = { key, reason, count: 1 };
        reasons.set(reason, first);
        r.failures.push(first);
      } else r.otherFailures++;
    };
    let lastReason = '';
    const gone = (): void => {
      r.skipped++;
      r.skippedGone++;
    };
    const pacer = new BytePacer(o.rate ?? 0);
    const inFlight = new Set<Promise<void>>();
    let deadBatches = 0;
    /** Bytes per key, a moving average (0: nothing read yet): sizes the next batch. */
    let perKey = 0;
    const batchSize = (): number => (perKey === 0 ? Math.min(batch, 100) : Math.max(1, Math.min(batch, Math.floor(BATCH_BYTES / perKey))));

    /** One key's RESTORE; true if it failed. */
    const restore = async (it: Item): Promise<boolean> => {
      for (let attempt = 0; ; attempt++) {
        let ttl = 0;
        if (it.expiresAt > 0) {
          ttl = it.expiresAt - Date.now();
          if (ttl <= 0) {
            gone();
            return false;
          }
        }
        try {
          await client.send('RESTORE', it.key, ttl, it.payload, ...(o.replace === true ? ['REPLACE'] : []));
          r.copied++;
          return false;
        } catch (err) {
          if (err instanceof ReplyError && err.prefix === 'BUSYKEY') {
            r.skipped++;
            r.skippedExisting++;
            return false;
          }
          // With REPLACE a RESTORE is safe to send again (the client re-sends only what surely did not run).
          if (o.replace === true && attempt === 0 && connectionLike(err)) continue;
          fail(it.key, (err as Error).message);
          lastReason = (err as Error).message;
          return true;
        }
      }
    };

    const copyBatch = async (node: SourceNode, keys: Buffer[]): Promise<void> => {
      const replies = await node.pipeline(keys.flatMap((k) => [['DUMP', k], ['PTTL', k]]));
      const readAt = Date.now();
      const items: Item[] = [];
      let bytes = 0;
      for (let i = 0; i < keys.length; i++) {
        const dump = replies[2 * i];
        const pttl = replies[2 * i + 1];
        if (dump instanceof RespError) fail(keys[i], `source: ${dump.message}`);
        else if (pttl instanceof RespError) fail(keys[i], `source: ${pttl.message}`);
        else if (!Buffer.isBuffer(dump) || typeof pttl !== 'number' || pttl === -2 || pttl === 0) gone();
        else {
          items.push({ key: keys[i], payload: dump, expiresAt: pttl > 0 ? readAt + pttl : 0 });
          bytes += keys[i].length + dump.length;
        }
      }
      r.bytes += bytes;
      if (items.length > 0) perKey = perKey === 0 ? bytes / items.length : 0.7 * perKey + (0.3 * bytes) / items.length;
      await pacer.take(bytes);
      while (inFlight.size >= WINDOW) await Promise.race(inFlight);
      const p = Promise.all(items.map(restore)).then((failed) => {
        const n = failed.filter(Boolean).length;
        deadBatches = n > 0 && n === items.length ? deadBatches + 1 : 0;
        if (deadBatches >= DEAD_TARGET_BATCHES && r.stopped === null) {
          r.stopped = `stopped: every key of the last ${DEAD_TARGET_BATCHES} batches failed on the target (${lastReason})`;
        }
        progress();
      });
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };

    const halted = (): boolean => {
      if (o.signal?.aborted === true) r.interrupted = true;
      return r.interrupted || r.stopped !== null;
    };

    try {
      for (const node of plan.nodes) {
        let cursor = '0';
        const pending: Buffer[] = [];
        do {
          const args: Array<string | number> = ['SCAN', cursor];
          if (o.match !== undefined) args.push('MATCH', o.match);
          args.push('COUNT', count);
          const reply = await node.call(...args);
          if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) throw new CliError(`source ${node.name}: unexpected SCAN reply`);
          cursor = String(reply[0]);
          const keys = (reply[1] as unknown[]).filter((k): k is Buffer => Buffer.isBuffer(k));
          r.scanned += keys.length;
          for (const k of keys) pending.push(k);
          while (!halted() && (pending.length >= batchSize() || (cursor === '0' && pending.length > 0))) {
            await copyBatch(node, pending.splice(0, batchSize()));
          }
        } while (cursor !== '0' && !halted());
      }
    } catch (err) {
      // The source went away (after its retries): report what was copied until then.
      r.stopped = `stopped: ${(err as Error).message}`;
    }
    await Promise.all(inFlight);
    progress();
    return r;
  } finally {
    for (const n of plan?.nodes ?? []) n.close();
    client.close();
  }
}

// ---- the command ------------------------------------------------------------------------------

export interface ImportCliOptions {
  cluster?: string;
  to?: string;
  user?: string;
  password?: string;
  replace?: boolean;
  match?: string;
  count?: string;
  batch?: string;
  rate?: string;
}

/** A key as text: printable ASCII as is, other bytes as \xNN, cut at 80 characters. */
export function formatKey(key: Buffer): string {
  let s = '';
  for (const b of key) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : b === 0x5c ? '\\\\' : `\\x${b.toString(16).padStart(2, '0')}`;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The final lines: `copied N, skipped N, failed N (...)`, then what was skipped and the first failures. */
export function formatResult(r: ImportResult): string {
  const secs = Math.max(r.elapsedMs, 1) / 1000;
  const took = r.elapsedMs < 60_000 ? `${secs.toFixed(1)}s` : formatDuration(r.elapsedMs);
  const keys = r.copied + r.skipped + r.failed;
  const lines = [`copied ${r.copied}, skipped ${r.skipped}, failed ${r.failed} (${keys} keys, ${formatMB(r.bytes)} MB in ${took}: ${Math.round(keys / secs)} keys/s, ${formatMB(r.bytes / secs)} MB/s)`];
  if (r.skipped > 0) {
    const why: string[] = [];
    if (r.skippedExisting > 0) why.push(`${r.skippedExisting} already on the target (--replace overwrites them)`);
    if (r.skippedGone > 0) why.push(`${r.skippedGone} expired or deleted on the source during the copy`);
    lines.push(`  skipped: ${why.join(', ')}`);
  }
  for (const f of r.failures) lines.push(`  failed: ${formatKey(f.key)}: ${f.reason}${f.count > 1 ? ` (and ${f.count - 1} more keys)` : ''}`);
  if (r.otherFailures > 0) lines.push(`  failed: ${r.otherFailures} more keys, for other reasons`);
  return lines.join('\n');
}

function intOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !(n >= 1)) throw new CliError(`${flag} must be a positive integer, not '${text}'`);
  return n;
}

/** `corral import`: resolves with the exit code (1 if any key failed or the copy could not run). */
export async function runImport(source: string, opts: ImportCliOptions): Promise<number> {
  const tty = process.stdout.isTTY === true;
  let bar: SingleBar | null = null;
  let printedAt = 0;
  let lastShown = 0;
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const rate = opts.rate === undefined ? 0 : parseRate(opts.rate);
    const show = (p: ImportProgress, final = false): void => {
      const done = p.copied + p.skipped + p.failed;
      const secs = Math.max(p.elapsedMs, 1) / 1000;
      const speed = formatMB(p.bytes / secs);
      const kps = Math.round(done / secs);
      if (tty) {
        const payload = { mb: formatMB(p.bytes), speed, kps, copied: p.copied, skipped: p.skipped, failed: p.failed };
        if (bar === null) {
          bar = new SingleBar({
            format: `importing [{bar}] {value}${opts.match === undefined ? '/' : ' keys of at most '}{total} keys | {kps} keys/s | {mb} MB, {speed} MB/s | copied {copied} skipped {skipped} failed {failed}`,
            stream: process.stdout,
            hideCursor: true,
            barsize: 30,
          });
          bar.start(Math.max(p.total, done), done, payload);
        } else {
          if (done > bar.getTotal()) bar.setTotal(done);
          bar.update(done, payload);
        }
      } else if (final || Date.now() - printedAt >= 1000) {
        printedAt = Date.now();
        lastShown = done;
        console.log(`${done}${opts.match === undefined ? '/' : ' keys of at most '}${p.total} keys, ${kps} keys/s, ${formatMB(p.bytes)} MB, ${speed} MB/s: copied ${p.copied}, skipped ${p.skipped}, failed ${p.failed}`);
      }
    };
    const r = await importKeys({
      source,
      cluster: opts.cluster,
      to: opts.to,
      username: opts.user,
      password: opts.password,
      replace: opts.replace === true,
      match: opts.match,
      count: intOption(opts.count, '--count'),
      batch: intOption(opts.batch, '--batch'),
      rate,
      signal: abort.signal,
      onStart: (s) => {
        const where = s.sources.length === 1 ? s.sources[0] : `${s.sources.length} primaries (${s.sources.join(', ')})`;
        const what = opts.match === undefined ? `${s.total} keys` : `the keys matching ${opts.match} (of ${s.total})`;
        console.log(`importing ${what} from ${where} into ${s.targets.join(', ')}${rate > 0 ? ` at ${formatMB(rate)} MB/s at most` : ''}`);
        for (const n of s.notes) console.log(`note: ${n}`);
      },
      onProgress: (p) => show(p),
    });
    if (bar !== null) {
      // With --match the total is the database's size: close the bar at what was done.
      const b: SingleBar = bar;
      b.setTotal(r.copied + r.skipped + r.failed);
      b.update(r.copied + r.skipped + r.failed);
      b.stop();
    } else if (r.copied + r.skipped + r.failed !== lastShown) {
      show(r, true);
    }
    if (r.interrupted) console.log('interrupted: the keys copied so far stay on the target');
    if (r.stopped !== null) console.error(`corral: ${r.stopped}`);
    console.log(formatResult(r));
    return r.failed > 0 || r.stopped !== null ? 1 : r.interrupted ? 130 : 0;
  } catch (err) {
    if (bar !== null) (bar as SingleBar).stop();
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
