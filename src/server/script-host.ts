// What the scripting engine (server/scripting) may do to its node, as the ScriptHost interface:
// run a command, ask whether writes are refused, the memory state, the cluster's routing for a
// script's keys, wrap a script's writes into one replicated transaction, block and unblock the
// caller of a busy script.

import { CMD_READONLY } from '../commands/table.js';
import { keySlotOf } from '../cluster/slot.js';
import type { CorralNode } from './node.js';
import { aclDenial, call } from './dispatch.js';
import { userVerdict } from './acl/enforce.js';
import { aclFor } from './acl/registry.js';
import type { ScriptHost } from './scripting/scripting.js';

export function scriptHostFor(node: CorralNode): ScriptHost {
  return {
    table: node.table,
    writer: node.writer,
    call: (client, cmd, args) => call(node, client, cmd, args),
    denyScriptsDisabled: () => node.scriptDenyDisabled,
    writeRefusal: () => {
      if (node.writeFence !== 0 && node.lastTick >= node.writeFence && node.replication.role === 'master') return 'CLUSTERDOWN The cluster is down';
      if (node.replication.role === 'slave' && node.config.get('replica-read-only') === true) return "READONLY You can't write against a read only replica.";
      const quorum = node.replication.writeQuorumRefusal();
      if (quorum !== null) return quorum;
      return null;
    },
    overMemory: () => node.store.maxmemory !== 0 && !node.store.evictIfNeeded(),
    runningStale: () => node.replication.stale && node.config.get('replica-serve-stale-data') === false,
    clusterCheck: (cmd, args, caller) => {
      const cluster = node.cluster;
      if (cluster === null || caller.id === 0) return null;
      return cluster.routeInScript(cmd, args, caller.readonlyMode && (cmd.flags & CMD_READONLY) !== 0);
    },
    aclCheck: (caller, cmd, args, log) => {
      if (caller.user.unrestricted) return 0;
      if (log) return aclDenial(node, node.ctx, caller, cmd, args, 'lua');
      return userVerdict(aclFor(node), caller.user, cmd, args).result;
    },
    keySlot: (buf, start, end) => (node.cluster === null ? -1 : keySlotOf(buf, start, end)),
    rejected: (cmd, errBuffer) => {
      if (cmd !== null) cmd.rejectedCalls++;
      const b = Buffer.from(errBuffer.startsWith('-') ? errBuffer : `-ERR ${errBuffer}`, 'latin1');
      node.stats.countError(b, 0, b.length);
    },
    errorReplied: (w, at, counted, viaCall) => {
      if (viaCall) node.stats.errorCounted = counted;
      else if (!counted) node.stats.countError(w.slabView, w.slabIndex(at), w.slabIndex(w.pendingBytes));
    },
    beginEffects: () => node.replStream?.beginTransaction(),
    endEffects: () => node.replStream?.endTransaction(),
    block: (client) => node.blockClient(client),
    unblock: (client, reply) => node.unblockClient(client, () => reply(node.writer)),
    busyThreshold: () => node.config.int('busy-reply-threshold'),
    log: (level, line) => node.logAt(level, line),
  };
}
