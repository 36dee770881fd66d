// What the registry of clients blocked on keys (server/blocking.ts) may do to its node: queue a
// client's replies, run what a client sent while blocked, replicate a served waiter's pop, count
// a served waiter's error reply in the stats, and find where a key's slot is served.

import type { BlockingHost } from './blocking.js';
import type { Client } from './client.js';
import type { ClientOutput } from './client-output.js';
import type { DispatchHost } from './dispatch.js';

/** The node, as this adapter sees it (CorralNode implements it). */
export interface BlockingHostSource extends DispatchHost {
  readonly output: ClientOutput;
  /** Runs what a client sent while it was blocked on keys. */
  runPending(client: Client): void;
}

export function blockingHostFor(node: BlockingHostSource): BlockingHost {
  return {
    store: node.store,
    ctx: node.ctx,
    writer: node.writer,
    queueReplies: (client) => node.output.queueReplies(client),
    runPending: (client) => node.runPending(client),
    beforeServe: (client) => {
      if (node.tracking.active) node.tracking.beforeCommand(client);
    },
    afterServe: (client) => {
      if (node.tracking.active) node.tracking.afterCommand(client, false, false, null);
    },
    propagate: (db, words) => node.propagateWords(db, words),
    propagateTransaction: (db, commands) => {
      const stream = node.replStream;
      if (stream === null) return;
      stream.beginTransaction();
      for (const words of commands) node.propagateWords(db, words);
      stream.endTransaction();
    },
    servedError: (name) => {
      const cmd = node.table.get(name);
      if (cmd !== undefined) cmd.failedCalls++;
      const w = node.writer;
      node.stats.countError(w.slabView, w.slabIndex(0), w.slabIndex(w.pendingBytes));
    },
    redirectFor: (key) => (node.cluster === null ? null : node.cluster.redirectForKey(key)),
    closeAfterReply: (client) => node.output.closeAfterWrite(client),
  };
}
