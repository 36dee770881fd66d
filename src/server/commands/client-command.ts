// CLIENT (Redis's "connection" group): ID SETNAME GETNAME LIST INFO KILL NO-EVICT UNBLOCK REPLY
// and HELP, and the tracking subcommands (tracking.ts), with Redis 7.0's replies and errors.
// Also Redis's rule for client names, which HELLO SETNAME shares (connection.ts).

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_NOSCRIPT, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT, type Client } from '../client.js';
import { clientInfoLine, setNoEvict } from '../info.js';
import { clientOf, serverOf } from './util.js';
import { aclFor } from '../acl/registry.js';
import type { AclUser } from '../acl/user.js';
import { clientCachingCommand, clientGetredirCommand, clientTrackingCommand, clientTrackinginfoCommand } from './tracking.js';
import { writeHelp } from './help.js';

export const ERR_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

const NLS = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const LS = CMD_LOADING | CMD_STALE;

/** Redis's client name rule: empty (clears the name) or printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

/** CLIENT LIST TYPE names: every corral client is a normal one. */
function clientTypeKnown(name: string): boolean {
  return name === 'normal' || name === 'slave' || name === 'replica' || name === 'pubsub' || name === 'master';
}

/** Redis's client type: pubsub while subscribed to anything, else normal (corral lists replicas as normal). */
function clientType(client: Client): string {
  return client.subs !== null && client.subs.total !== 0 ? 'pubsub' : 'normal';
}

function clientListCommand(c: CommandContext): void {
  const node = serverOf(c);
  const self = clientOf(c);
  let out = '';
  if (c.argc === 4 && c.is(2, 'type')) {
    const type = c.lower(3);
    if (!clientTypeKnown(type)) {
      c.w.error(`ERR Unknown client type '${c.str(3)}'`);
      return;
    }
    for (const cl of node.clients.values()) if (clientType(cl) === type) out += clientInfoLine(node, cl, self, c);
  } else if (c.argc > 3 && c.is(2, 'id')) {
    for (let j = 3; j < c.argc; j++) {
      const id = c.int(j);
      if (id === undefined) {
        c.w.error('ERR Invalid client ID');
        return;
      }
      const cl = node.clients.get(id);
      if (cl !== undefined) out += clientInfoLine(node, cl, self, c);
    }
  } else if (c.argc !== 2) {
    c.w.error(ERR_SYNTAX);
    return;
  } else {
    for (const cl of node.clients.values()) out += clientInfoLine(node, cl, self, c);
  }
  c.w.verbatim(out);
}

function clientInfoCommand(c: CommandContext): void {
  const self = clientOf(c);
  c.w.verbatim(clientInfoLine(serverOf(c), self, self, c));
}

function clientIdCommand(c: CommandContext): void {
  c.w.integer(clientOf(c).id);
}

function clientSetnameCommand(c: CommandContext): void {
  const name = c.str(2);
  if (!validClientName(name)) {
    c.w.error(ERR_CLIENT_NAME);
    return;
  }
  clientOf(c).name = name;
  c.w.ok();
}

function clientGetnameCommand(c: CommandContext): void {
  const name = clientOf(c).name;
  if (name === '') c.w.nil();
  else c.w.bulk(name);
}

/**
 * CLIENT KILL addr:port (old form: may kill the caller, replies OK or "No such client") or
 * CLIENT KILL <filter> <value>... (ID ADDR LADDR TYPE USER SKIPME; replies the number killed).
 * The caller, when it matches, is closed after this reply.
 */
function clientKillCommand(c: CommandContext): void {
  let addr: string | null = null;
  let laddr: string | null = null;
  let id = 0;
  let skipme = true;
  let killType: string | null = null;
  let killUser: AclUser | null = null;
  if (c.argc === 3) {
    addr = c.str(2);
    skipme = false;
  } else {
    for (let i = 2; i < c.argc; i += 2) {
      if (i + 1 >= c.argc) {
        c.w.error(ERR_SYNTAX);
        return;
      }
      if (c.is(i, 'id')) {
        const n = c.int(i + 1);
        if (n === undefined || n < 1) {
          c.w.error('ERR client-id should be greater than 0');
          return;
        }
        id = n;
      } else if (c.is(i, 'type')) {
        const type = c.lower(i + 1);
        if (!clientTypeKnown(type)) {
          c.w.error(`ERR Unknown client type '${c.str(i + 1)}'`);
          return;
        }
        killType = type;
      } else if (c.is(i, 'addr')) {
        addr = c.str(i + 1);
      } else if (c.is(i, 'laddr')) {
        laddr = c.str(i + 1);
      } else if (c.is(i, 'user')) {
        const u = aclFor(serverOf(c)).get(c.str(i + 1));
        if (u === undefined) {
          c.w.error(`ERR No such user '${c.str(i + 1)}'`);
          return;
        }
        killUser = u;
      } else if (c.is(i, 'skipme')) {
        if (c.is(i + 1, 'yes')) skipme = true;
        else if (c.is(i + 1, 'no')) skipme = false;
        else {
          c.w.error(ERR_SYNTAX);
          return;
        }
      } else {
        c.w.error(ERR_SYNTAX);
        return;
      }
    }
  }
  const node = serverOf(c);
  const self = clientOf(c);
  let killed = 0;
  let killSelf = false;
  {
    for (const cl of [...node.clients.values()]) {
      if (killType !== null && clientType(cl) !== killType) continue;
      if (addr !== null && cl.addr !== addr) continue;
      if (laddr !== null && cl.laddr !== laddr) continue;
      if (id !== 0 && cl.id !== id) continue;
      // By name: a client made without a node (test harnesses) runs as an unrestricted "default".
      if (killUser !== null && cl.user.name !== killUser.name) continue;
      if (cl === self && skipme) continue;
      if (cl === self) killSelf = true;
      else node.closeClient(cl);
      killed++;
    }
  }
  if (c.argc === 3) {
    if (killed === 0) c.w.error('ERR No such client');
    else c.w.ok();
  } else {
    c.w.integer(killed);
  }
  if (killSelf) self.closeAfterReply = true;
}

function clientNoEvictCommand(c: CommandContext): void {
  if (c.is(2, 'on')) setNoEvict(clientOf(c), true);
  else if (c.is(2, 'off')) setNoEvict(clientOf(c), false);
  else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  c.w.ok();
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a wait on keys (BLPOP and friends), as a timeout or with -UNBLOCKED. */
function clientUnblockCommand(c: CommandContext): void {
  if (c.argc > 4) {
    c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1)}'. Try CLIENT HELP.`);
    return;
  }
  if (c.argc === 4 && !c.is(3, 'timeout') && !c.is(3, 'error')) {
    c.w.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
    return;
  }
  const id = c.int(2);
  if (id === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const node = serverOf(c);
  const target = node.clients.get(id);
  c.w.integer(target !== undefined && node.blocking.unblock(target, c.argc === 4 && c.is(3, 'error')) ? 1 : 0);
}

/**
 * CLIENT REPLY ON|OFF|SKIP: OFF drops every reply until ON (which answers OK); SKIP drops the next
 * command's reply. Pushes (pub/sub messages, invalidations) still go out. The node applies the
 * mode around each command (node.ts runCommands).
 */
function clientReplyCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (c.is(2, 'on')) {
    client.replyMode = REPLY_ON;
    c.w.ok();
  } else if (c.is(2, 'off')) client.replyMode = REPLY_OFF;
  else if (c.is(2, 'skip')) {
    if (client.replyMode !== REPLY_OFF) client.replyMode = REPLY_SKIP_NEXT;
  } else c.w.error(ERR_SYNTAX);
}

/** Redis's CLIENT HELP, without the subcommands corral does not have (PAUSE, UNPAUSE). */
const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

export const clientCommand: CommandDef = {
  name: 'client',
  arity: -2,
  flags: 0,
  subcommands: [
    { name: 'id', arity: 2, flags: NLS, handler: clientIdCommand },
    { name: 'setname', arity: 3, flags: NLS, handler: clientSetnameCommand },
    { name: 'reply', arity: 3, flags: NLS, handler: clientReplyCommand },
    { name: 'getname', arity: 2, flags: NLS, handler: clientGetnameCommand },
    { name: 'list', arity: -2, flags: CMD_ADMIN | NLS, handler: clientListCommand },
    { name: 'info', arity: 2, flags: NLS, handler: clientInfoCommand },
    { name: 'kill', arity: -3, flags: CMD_ADMIN | NLS, handler: clientKillCommand },
    { name: 'no-evict', arity: 3, flags: CMD_ADMIN | NLS, handler: clientNoEvictCommand },
    { name: 'getredir', arity: 2, flags: NLS, handler: clientGetredirCommand },
    { name: 'trackinginfo', arity: 2, flags: NLS, handler: clientTrackinginfoCommand },
    { name: 'caching', arity: 3, flags: NLS, handler: clientCachingCommand },
    { name: 'tracking', arity: -3, flags: NLS, handler: clientTrackingCommand },
    { name: 'unblock', arity: -3, flags: CMD_ADMIN | NLS, handler: clientUnblockCommand },
    { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, CLIENT_HELP) },
  ],
};
