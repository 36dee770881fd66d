// A cluster node's rehearsal of a move, run by `corral server` before it listens: a throwaway
// cluster of three in-process nodes on loopback ports (the local coordinator, two shards with
// keys, one empty node), the empty node added as a shard (CORRAL RESHARD ADD) while a client
// reads and writes, until the plan is done; then everything is closed and the node starts.
//
// Why. A node's first move is the first time it runs the move's code (the export, the switch,
// the cleanup, the plan in the documents, the controller's mover) and takes its request path's
// rare branches (a paused slot, MOVED, a blocked client): V8 deoptimizes the request path
// ("insufficient type feedback", "code dependencies"), runs it and the move's code unoptimized
// and recompiles them, on every node at the same moment. Type feedback and field
// representations belong to the code and the classes, not to the objects, so the same code run
// here on scratch nodes is warm for the real node. The process also keeps its bytecode
// (--no-flush-bytecode, set below): V8 otherwise drops a function's bytecode, and its feedback,
// after five full collections without a call, and a cluster's first move may come days later.
// Measured (docs/benchmarks.md, "A rehearsal before the first move"): the requests over 5 ms in
// a move's first 3 s halved, and the p99 of the cluster before any move fell by a tenth.
//
// What it costs: ~1.4 s and ~1.2 s of CPU at start, and resident memory: ~40-60 MB more after
// start, ~25 MB after a load and a move (the heap and the allocator keep what the scratch nodes
// grew, and a node without the rehearsal grows part of the way when it compiles the same code;
// the scratch nodes start no Lua VM). `corral server --warm-up no` skips it; a node that is not
// cluster-enabled never runs it (a standalone node's full copies and requests measured no
// different).

import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { CorralNode } from '../server/node.js';
import { LocalCoordinatorServer } from '../control/local-coordinator-server.js';
import { callNode } from '../control/node-link.js';
import { createClient, type CorralClient } from '../client/index.js';
import { keySlot } from '../cluster/slot.js';
import { TABLE_FIELDS } from '../store/hash-value.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { Logger } from '../util/log.js';

/** Keys the rehearsal's shards hold before the move (a third with a TTL). */
const KEYS = 1000;
/**
 * The added shard's weight: a few hundred slots (a dozen batches of the mover, each with its
 * switch), enough for every step of a move to run many times; a full share would be ~170.
 */
const WEIGHT = '0.05';
/** The scratch nodes' write lease (ms), which is also how long they wait before electing a controller. */
const LEASE_MS = 400;
/** The scratch cluster's shards before one is added (the nodes wait for this many to register). */
const SHARDS = 2;
/** Fields per HSET of the rehearsal's big hash. */
const BIG_HASH_PIECE = 256;
/** Give up (and start the node anyway) after this long. */
const DEADLINE_MS = 15_000;

export interface WarmUpResult {
  ms: number;
  /** Topology epochs the scratch cluster went through (a move's switches and more). */
  epochs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function scratchNode(coordinatorPort: number): CorralNode {
  return new CorralNode({
    config: {
      port: '0',
      bind: '127.0.0.1',
      'cluster-enabled': 'yes',
      'cluster-announce-ip': '127.0.0.1',
      coordinator: `local:127.0.0.1:${coordinatorPort}`,
      'cluster-shards': String(SHARDS),
      // A node waits one lease before it campaigns to be the controller (2 s by default).
      'cluster-lease-ms': String(LEASE_MS),
    },
    log: () => {},
    scripting: false,
  });
}

async function until(what: string, deadline: number, check: () => boolean): Promise<void> {
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`warm-up: timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Reads and writes while the move runs: hits, misses, writes to moving slots (held, MOVED, TRYAGAIN). */
async function traffic(client: CorralClient, stop: () => boolean): Promise<void> {
  let i = 0;
  while (!stop()) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = 0; j < 64; j++, i++) {
      const k = `warm:${i % KEYS}`;
      batch.push(i % 4 === 0 ? client.set(k, `v${i}`) : client.get(i % 8 === 1 ? `warm:miss:${i}` : k));
    }
    await Promise.allSettled(batch);
    await sleep(2);
  }
}

/**
 * A hash past TABLE_FIELDS fields in `slot` (the plan's last: it moves after this is written), so
 * that a big key's move runs too: its pieces on the source, and on the target the HSETs, the
 * hash's conversion to a FieldTable and the table's growth, whose first run in a process, cold,
 * held a target's event loop for 40-60 ms (bench/bigkey-bench.ts). Best effort: a write refused
 * while the slot moves is left out.
 */
async function bigHash(client: CorralClient, slot: number): Promise<void> {
  let tag = 0;
  while (keySlot(`{warm${tag}}`) !== slot) tag++;
  const key = `{warm${tag}}big`;
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < TABLE_FIELDS + BIG_HASH_PIECE; i += BIG_HASH_PIECE) {
    const fields: Record<string, string> = {};
    for (let j = i; j < i + BIG_HASH_PIECE; j++) fields[`f${j}`] = `v${j}`;
    writes.push(client.hset(key, fields));
  }
  await Promise.allSettled(writes);
}

/** Runs the rehearsal; throws if it could not finish (the caller logs it and starts anyway). */
export async function rehearseMove(): Promise<WarmUpResult> {
  const started = performance.now();
  const deadline = started + DEADLINE_MS;
  const coordinator = new LocalCoordinatorServer();
  const nodes: CorralNode[] = [];
  let client: CorralClient | null = null;
  try {
    const cport = await coordinator.start('127.0.0.1', 0);
    for (let i = 0; i < SHARDS; i++) {
      const node = scratchNode(cport);
      await node.listen();
      nodes.push(node);
    }
    const [a, b] = nodes;
    await until('the first topology', deadline, () => a.cluster!.ok && b.cluster!.ok && a.cluster!.isPrimary && b.cluster!.isPrimary);
    client = createClient({ nodes: [`127.0.0.1:${a.port}`] });
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < KEYS; i++) writes.push(client.set(`warm:${i}`, `value-${i}-${'x'.repeat(i % 200)}`, i % 3 === 0 ? { px: 600_000 } : undefined));
    // Best effort: a write refused while the scratch cluster settles (CLUSTERDOWN after its
    // retries) leaves a key out, not the rehearsal.
    await Promise.allSettled(writes);
    const added = scratchNode(cport);
    await added.listen();
    nodes.push(added);
    await until('the empty node to join', deadline, () => added.cluster!.topology !== null);
    const firstEpoch = a.cluster!.epoch;
    let moving = true;
    const load = traffic(client, () => !moving);
    try {
      const controller = nodes.find((n) => n.agent?.controller != null);
      if (controller === undefined) throw new Error('warm-up: no controller');
      const reply = await callNode('127.0.0.1', controller.port, ['CORRAL', 'RESHARD', 'ADD', '127.0.0.1', added.port, 'WEIGHT', WEIGHT], 5000);
      if (typeof reply !== 'string') throw new Error(`warm-up: RESHARD ADD answered ${JSON.stringify(reply)}`);
      const moves = a.cluster!.topology?.doc.plan?.moves;
      if (moves !== undefined && moves.length > 0) await bigHash(client, moves[moves.length - 1][1]);
      await until('the move', deadline, () => {
        const doc = a.cluster!.topology?.doc;
        return doc !== undefined && doc.plan === undefined && added.cluster!.isPrimary && added.cluster!.epoch === doc.epoch;
      });
    } finally {
      moving = false;
      await load;
    }
    return { ms: performance.now() - started, epochs: a.cluster!.epoch - firstEpoch };
  } finally {
    client?.close();
    await Promise.allSettled(nodes.map((n) => n.close()));
    await coordinator.close();
  }
}

/**
 * `corral server`'s warm-up: the rehearsal, logged (node.warmup), and the bytecode kept from then
 * on. A rehearsal that fails is logged and the node starts all the same.
 */
export async function warmUp(logger: Logger): Promise<void> {
  // V8 drops the bytecode (and with it the type feedback) of a function not run for 5 full
  // collections; a cluster's first move may come days after its nodes started.
  v8.setFlagsFromString('--no-flush-bytecode');
  ReplyWriter.rehearseRollovers();
  try {
    const r = await rehearseMove();
    logger.info({ event: 'node.warmup', ms: Math.round(r.ms), epochs: r.epochs }, `warmed up: rehearsed a slot move on scratch nodes in ${Math.round(r.ms)} ms`);
  } catch (err) {
    logger.warn({ event: 'node.warmup', error: (err as Error).message }, `warm-up skipped: ${(err as Error).message}`);
  }
}

