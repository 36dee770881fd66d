// Connection commands (Redis's "connection" group): PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET
// and CLIENT (ID SETNAME GETNAME LIST INFO KILL, and the tracking/blocking subcommands corral can
// answer truthfully), with Redis 7.0's replies and errors. Users and their passwords are the
// ACL's (server/acl): AUTH and HELLO AUTH authenticate as one, the default user's password
// being requirepass.

import type { CommandContext } from '../../commands/context.js';
import {
  CMD_ADMIN,
  CMD_FAST,
  CMD_LOADING,
  CMD_NO_AUTH,
  CMD_NOSCRIPT,
  CMD_STALE,
  CMD_TX_CONTROL,
  type CommandDef,
} from '../../commands/table.js';
import { ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGPASS } from '../../commands/errors.js';
import { REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT, type Client } from '../client.js';
import type { ServerApi } from '../server-api.js';
import { REDIS_VERSION, clientInfoLine, setNoEvict } from '../info.js';
import { clientOf, serverOf } from './util.js';
import { aclFor } from '../acl/registry.js';
import { ACL_DENIED_AUTH } from '../acl/check.js';
import { USER_NOPASS, type AclUser } from '../acl/user.js';
import { clientCachingCommand, clientGetredirCommand, clientTrackingCommand, clientTrackinginfoCommand } from './tracking.js';

export const ERR_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';
const ERR_AUTH_NO_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
const ERR_HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

const CONNECTION_FLAGS = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH;
const NLS = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const LS = CMD_LOADING | CMD_STALE;

function pingCommand(c: CommandContext): void {
  if (c.argc > 2) {
    c.w.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (clientOf(c).inSubscriberContext) {
    // RESP2 subscriber: the reply is shaped like a message, as Redis does.
    c.w.array(2);
    c.w.bulk('pong');
    if (c.argc === 2) c.w.bulkBytes(c.args.buf, c.args.start[1], c.args.end[1]);
    else c.w.bulk('');
    return;
  }
  if (c.argc === 2) c.w.bulkBytes(c.args.buf, c.args.start[1], c.args.end[1]);
  else c.w.simple('PONG');
}

function echoCommand(c: CommandContext): void {
  c.w.bulkBytes(c.args.buf, c.args.start[1], c.args.end[1]);
}

function selectCommand(c: CommandContext): void {
  const n = c.int(1);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (serverOf(c).config.get('cluster-enabled') === true && n !== 0) {
    c.w.error('ERR SELECT is not allowed in cluster mode');
    return;
  }
  if (n < 0 || n >= c.store.dbs.length) {
    c.w.error(ERR_DB_INDEX);
    return;
  }
  clientOf(c).db = n;
  c.w.ok();
}

/** QUIT is answered by the dispatcher before lookup; this entry gives it a table row (COMMAND INFO). */
function quitCommand(c: CommandContext): void {
  c.w.ok();
  clientOf(c).closeAfterReply = true;
}

/** Redis's client name rule: empty (clears the name) or printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

/**
 * ACLAuthenticateUser: on success the client runs as the user; a failure is logged in ACL LOG
 * (reason auth, the command's name as typed as its object).
 */
export function authenticate(c: CommandContext, username: string, password: string): boolean {
  const node = serverOf(c);
  const client = clientOf(c);
  const acl = aclFor(node);
  const user = acl.authenticate(username, password);
  if (user !== null) {
    client.user = user;
    client.setAuthenticated(true);
    return true;
  }
  acl.log.add({
    reason: ACL_DENIED_AUTH,
    context: client.multi !== null ? 'multi' : 'toplevel',
    object: c.str(0),
    username,
    ctime: Date.now(),
    clientInfo: clientInfoLine(node, client, client, c).slice(0, -1),
  });
  return false;
}

function authCommand(c: CommandContext): void {
  if (c.argc > 3) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const node = serverOf(c);
  if (c.argc === 2 && (aclFor(node).defaultUser.flags & USER_NOPASS) !== 0) {
    c.w.error(ERR_AUTH_NO_PASSWORD);
    return;
  }
  const user = c.argc === 2 ? 'default' : c.str(1);
  if (!authenticate(c, user, c.str(c.argc - 1))) {
    c.w.error(ERR_WRONGPASS);
    return;
  }
  c.w.ok();
}

function helloCommand(c: CommandContext): void {
  let version = 0;
  let next = 1;
  if (c.argc >= 2) {
    const v = c.int(1);
    if (v === undefined) {
      c.w.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (v < 2 || v > 3) {
      c.w.error('NOPROTO unsupported protocol version');
      return;
    }
    version = v;
    next = 2;
  }
  let authAt = 0;
  let nameAt = 0;
  for (let j = next; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.is(j, 'auth') && more >= 2) {
      authAt = j + 1;
      j += 2;
    } else if (c.is(j, 'setname') && more >= 1) {
      nameAt = j + 1;
      j++;
    } else {
      c.w.error(`ERR Syntax error in HELLO option '${c.str(j)}'`);
      return;
    }
  }
  const node = serverOf(c);
  const client = clientOf(c);
  if (authAt !== 0) {
    if (!authenticate(c, c.str(authAt), c.str(authAt + 1))) {
      c.w.error(ERR_WRONGPASS);
      return;
    }
  }
  if (!client.authenticated) {
    c.w.error(ERR_HELLO_NOAUTH);
    return;
  }
  if (nameAt !== 0) {
    const name = c.str(nameAt);
    if (!validClientName(name)) {
      c.w.error(ERR_CLIENT_NAME);
      return;
    }
    client.name = name;
  }
  // The reply itself is already in the new protocol, as Redis does.
  if (version !== 0) {
    client.resp = version as 2 | 3;
    node.writer.resp = client.resp;
  }
  writeHello(c, node, client);
}

function writeHello(c: CommandContext, node: ServerApi, client: Client): void {
  const w = c.w;
  w.map(7);
  w.bulk('server');
  w.bulk('redis');
  w.bulk('version');
  // "redis" 7.0.15, not corral's own name and version: see REDIS_VERSION in server/info.ts.
  w.bulk(REDIS_VERSION);
  w.bulk('proto');
  w.integer(client.resp);
  w.bulk('id');
  w.integer(client.id);
  w.bulk('mode');
  w.bulk(node.config.get('cluster-enabled') === true ? 'cluster' : 'standalone');
  w.bulk('role');
  w.bulk('master');
  w.bulk('modules');
  w.array(0);
}

/**
 * RESET: back to a fresh connection's state (Redis's clearClientConnectionState): database 0,
 * RESP2, no name, no transaction or WATCHed keys, and logged out when a password is required.
 */
function resetCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  client.db = 0;
  client.resp = 2;
  node.writer.resp = 2;
  client.name = '';
  client.resetTransaction();
  node.watches.unwatchAll(client);
  node.pubsub.dropClient(client);
  node.tracking.disable(client);
  node.refreshKeyHook();
  const acl = aclFor(node);
  client.user = acl.defaultUser;
  client.setAuthenticated(!acl.defaultRequiresAuth);
  c.w.simple('RESET');
}

// ---- CLIENT ---------------------------------------------------------------------------------------

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

/** Writes a HELP reply: an array of status lines, as Redis's addReplyHelp. */
export function writeHelp(c: CommandContext, lines: readonly string[]): void {
  c.w.array(lines.length);
  for (const l of lines) c.w.simple(l);
}

export const connectionCommands: CommandDef[] = [
  { name: 'ping', arity: -1, flags: CMD_FAST, handler: pingCommand },
  { name: 'echo', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: echoCommand },
  { name: 'select', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: selectCommand },
  { name: 'quit', arity: -1, flags: CONNECTION_FLAGS | CMD_TX_CONTROL, handler: quitCommand },
  { name: 'hello', arity: -1, flags: CONNECTION_FLAGS, handler: helloCommand },
  { name: 'auth', arity: -2, flags: CONNECTION_FLAGS, handler: authCommand },
  { name: 'reset', arity: 1, flags: CONNECTION_FLAGS | CMD_TX_CONTROL, handler: resetCommand },
  {
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
  },
];
