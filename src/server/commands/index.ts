// Server-level commands: connection, transactions, introspection and administration.

import type { CommandDef } from '../../commands/table.js';
import { connectionCommands } from './connection.js';
import { transactionsCommands } from './transactions.js';
import { introspectionCommands } from './introspection.js';
import { adminCommands } from './admin.js';
import { clusterCommands, corralCommands } from './cluster.js';
import { replicationCommands } from './replication.js';
import { pubsubCommands } from './pubsub.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './functions.js';
import { blockingCommands } from './blocking.js';
import { streamBlockCommands } from './stream-block.js';
import { streamReadgroupCommands } from './stream-readgroup.js';
import { debugCommands } from './debug.js';
import { aclCommands } from '../acl/commands.js';
import { latencyCommands } from './latency.js';

export const serverCommands: CommandDef[] = [
  ...connectionCommands,
  ...transactionsCommands,
  ...introspectionCommands,
  ...adminCommands,
  ...clusterCommands,
  ...corralCommands,
  ...replicationCommands,
  ...pubsubCommands,
  ...scriptingCommands,
  ...functionCommands,
  ...blockingCommands,
  ...streamBlockCommands,
  ...streamReadgroupCommands,
  ...debugCommands,
  ...aclCommands,
  ...latencyCommands,
];
