// Connection commands (Redis's "connection" group): PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET
// and CLIENT (client-command.ts: ID SETNAME GETNAME LIST INFO KILL, and the tracking/blocking
// subcommands corral can answer truthfully), with Redis 7.0's replies and errors. Users and
// their passwords are the ACL's (server/acl): AUTH and HELLO AUTH authenticate as one, the
// default user's password being requirepass.

import type { CommandContext } from '../../commands/context.js';
import {
  CMD_FAST,
  CMD_LOADING,
  CMD_NO_AUTH,
  CMD_NOSCRIPT,
  CMD_STALE,
  CMD_TX_CONTROL,
  type CommandDef,
} from '../../commands/table.js';
import { ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGPASS } from '../../commands/errors.js';
import type { Client } from '../client.js';
import type { ServerApi } from '../server-api.js';
import { REDIS_VERSION, clientInfoLine } from '../info.js';
import { clientOf, serverOf } from './util.js';
import { aclFor } from '../acl/registry.js';
import { ACL_DENIED_AUTH } from '../acl/check.js';
import { USER_NOPASS } from '../acl/user.js';
import { ERR_CLIENT_NAME, clientCommand, validClientName } from './client-command.js';

export { ERR_CLIENT_NAME, validClientName } from './client-command.js';
export { writeHelp } from './help.js';

const ERR_AUTH_NO_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
const ERR_HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

const CONNECTION_FLAGS = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH;

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

export const connectionCommands: CommandDef[] = [
  { name: 'ping', arity: -1, flags: CMD_FAST, handler: pingCommand },
  { name: 'echo', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: echoCommand },
  { name: 'select', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: selectCommand },
  { name: 'quit', arity: -1, flags: CONNECTION_FLAGS | CMD_TX_CONTROL, handler: quitCommand },
  { name: 'hello', arity: -1, flags: CONNECTION_FLAGS, handler: helloCommand },
  { name: 'auth', arity: -2, flags: CONNECTION_FLAGS, handler: authCommand },
  { name: 'reset', arity: 1, flags: CONNECTION_FLAGS | CMD_TX_CONTROL, handler: resetCommand },
  clientCommand,
];
