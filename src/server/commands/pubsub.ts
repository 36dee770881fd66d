// Pub/sub commands (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, SPUBLISH,
// PUBSUB) as Redis 7.0 answers them, and CORRAL PUBLISH / SPUBLISH, by which a cluster node
// hands a message published on it to the other nodes (server/pubsub-bus.ts). The registry and
// the frames are server/pubsub.ts's.
//
// Where a message goes, as Redis: standalone, PUBLISH reaches this node's subscribers and its
// replicas' (through the replication stream); in a cluster, every node's (PUBLISH on any node
// reaches subscribers on every node), and SPUBLISH the nodes of the channel's shard (its
// primary and replicas), whose slot it must be sent to like a key.

import type { CommandContext } from '../../commands/context.js';
import { CMD_FAST, CMD_LOADING, CMD_MAY_REPLICATE, CMD_NOSCRIPT, CMD_PUBSUB, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { globMatch } from '../../util/glob.js';
import type { ChannelKind } from '../pubsub.js';
import { writeHelp } from './connection.js';
import { clientOf, serverOf } from './util.js';

function subscribeCommand(c: CommandContext, kind: ChannelKind): void {
  const node = serverOf(c);
  const client = clientOf(c);
  for (let i = 1; i < c.argc; i++) node.pubsub.subscribe(client, c.str(i), kind, c.w);
}

function unsubscribeCommand(c: CommandContext, kind: ChannelKind): void {
  const node = serverOf(c);
  const client = clientOf(c);
  if (c.argc === 1) node.pubsub.unsubscribeAll(client, kind, c.w);
  else for (let i = 1; i < c.argc; i++) node.pubsub.unsubscribe(client, c.str(i), kind, c.w);
}

function psubscribeCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  for (let i = 1; i < c.argc; i++) node.pubsub.psubscribe(client, c.str(i), c.w);
}

function punsubscribeCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  if (c.argc === 1) node.pubsub.punsubscribeAll(client, c.w);
  else for (let i = 1; i < c.argc; i++) node.pubsub.punsubscribe(client, c.str(i), c.w);
}

function publishCommand(c: CommandContext, shard: boolean): void {
  const node = serverOf(c);
  const a = c.args;
  const channel = a.buf.subarray(a.start[1], a.end[1]);
  const message = a.buf.subarray(a.start[2], a.end[2]);
  const receivers = node.pubsub.publish(channel, message, shard, clientOf(c), c.w);
  if (node.pubsubBus !== null) node.pubsubBus.publish(channel, message, shard);
  else if (node.replStream !== null) node.forcePropagation = true; // to the replicas' subscribers, as Redis standalone
  c.w.integer(receivers);
}

/** CORRAL PUBLISH|SPUBLISH <channel> <message>: a message published on another node of the cluster. */
function corralPublishCommand(c: CommandContext, shard: boolean): void {
  const node = serverOf(c);
  const a = c.args;
  c.w.integer(node.pubsub.publish(a.buf.subarray(a.start[2], a.end[2]), a.buf.subarray(a.start[3], a.end[3]), shard, null, c.w));
}

function channelsCommand(c: CommandContext, kind: ChannelKind): void {
  if (c.argc > 3) {
    subcommandSyntaxError(c);
    return;
  }
  const pattern = c.argc === 3 ? c.str(2) : null;
  const map = kind === 'shard' ? serverOf(c).pubsub.shardChannels : serverOf(c).pubsub.channels;
  const out: string[] = [];
  for (const name of map.keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
  c.w.array(out.length);
  for (const name of out) c.w.bulk(name);
}

function numsubCommand(c: CommandContext, kind: ChannelKind): void {
  const map = kind === 'shard' ? serverOf(c).pubsub.shardChannels : serverOf(c).pubsub.channels;
  c.w.array((c.argc - 2) * 2);
  for (let i = 2; i < c.argc; i++) {
    const name = c.str(i);
    c.w.bulk(name);
    c.w.integer(map.get(name)?.size ?? 0);
  }
}

function subcommandSyntaxError(c: CommandContext): void {
  c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1).slice(0, 128)}'. Try PUBSUB HELP.`);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

/** Redis 7.0's flags: pubsub, loading and stale for all; noscript for the subscribing ones. */
const SUB = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const PUB = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE;
const INTRO = CMD_PUBSUB | CMD_LOADING | CMD_STALE;

export const pubsubCommands: CommandDef[] = [
  { name: 'subscribe', arity: -2, flags: SUB, handler: (c) => subscribeCommand(c, 'channel') },
  { name: 'unsubscribe', arity: -1, flags: SUB, handler: (c) => unsubscribeCommand(c, 'channel') },
  { name: 'psubscribe', arity: -2, flags: SUB, handler: psubscribeCommand },
  { name: 'punsubscribe', arity: -1, flags: SUB, handler: punsubscribeCommand },
  { name: 'ssubscribe', arity: -2, flags: SUB, firstKey: 1, lastKey: -1, keyStep: 1, handler: (c) => subscribeCommand(c, 'shard') },
  { name: 'sunsubscribe', arity: -1, flags: SUB, firstKey: 1, lastKey: -1, keyStep: 1, handler: (c) => unsubscribeCommand(c, 'shard') },
  { name: 'publish', arity: 3, flags: PUB, handler: (c) => publishCommand(c, false) },
  { name: 'spublish', arity: 3, flags: PUB, firstKey: 1, handler: (c) => publishCommand(c, true) },
  {
    name: 'pubsub',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'channels', arity: -2, flags: INTRO, handler: (c) => channelsCommand(c, 'channel') },
      { name: 'numsub', arity: -2, flags: INTRO, handler: (c) => numsubCommand(c, 'channel') },
      { name: 'numpat', arity: 2, flags: INTRO, handler: (c) => c.w.integer(serverOf(c).pubsub.patterns.size) },
      { name: 'shardchannels', arity: -2, flags: INTRO, handler: (c) => channelsCommand(c, 'shard') },
      { name: 'shardnumsub', arity: -2, flags: INTRO, handler: (c) => numsubCommand(c, 'shard') },
      { name: 'help', arity: 2, flags: INTRO, handler: (c) => writeHelp(c, PUBSUB_HELP) },
    ],
  },
];

/** CORRAL subcommands of the cluster's message bus. */
export const corralPubsubCommands: CommandDef[] = [
  { name: 'publish', arity: 4, flags: CMD_LOADING | CMD_STALE | CMD_FAST, handler: (c) => corralPublishCommand(c, false) },
  { name: 'spublish', arity: 4, flags: CMD_LOADING | CMD_STALE | CMD_FAST, handler: (c) => corralPublishCommand(c, true) },
];
