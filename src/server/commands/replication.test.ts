import { test } from 'node:test';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';
import { replicationCommands } from './replication.js';
import { clusterCommands } from './cluster.js';

test('replication commands carry Redis 7.0.15 arity, keys and flags', () => {
  assertMatchesRedis(replicationCommands, true);
});

test('CLUSTER subcommands, FAILOVER included, carry Redis 7.0.15 arity, keys and flags', () => {
  assertMatchesRedis(clusterCommands, true);
});
