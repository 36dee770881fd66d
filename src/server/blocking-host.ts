// What the registry of clients blocked on keys (server/blocking.ts) may do to its node: queue a
// client's replies, run what a client sent while blocked, replicate a served waiter's pop, and
// find where a key's slot is served.

import type { CorralNode } from './node.js';
import type { BlockingHost } from './blocking.js';

export function blockingHostFor(node: CorralNode): BlockingHost {
  return {
    store: node.store,
    ctx: node.ctx,
    writer: node.writer,
    queueReplies: (client) => node.output.queueReplies(client),
    runPending: (client) => node.runPending(client),
    propagate: (db, words) => node.propagateWords(db, words),
    redirectFor: (key) => (node.cluster === null ? null : node.cluster.redirectForKey(key)),
    closeAfterReply: (client) => {
      client.closeAfterReply = true;
    },
  };
}
