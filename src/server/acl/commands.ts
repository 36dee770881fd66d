// The ACL command (Redis 7.0's aclCommand): SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT LOG
// GENPASS DRYRUN LOAD SAVE HELP, with Redis's replies and errors. Deleting a user, or loading an
// ACL file, disconnects the clients authenticated as the users it removes; changing a user's
// channels disconnects its subscribers that lost a channel (ACLKillPubsubClientsIfNeeded).

import { randomBytes } from 'node:crypto';
import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_NOSCRIPT, CMD_STALE, CommandTable, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER } from '../../commands/errors.js';
import { formatDouble } from '../../protocol/reply-writer.js';
import type { Client } from '../client.js';
import type { ServerApi } from '../server-api.js';
import { clientOf, serverOf } from '../commands/util.js';
import { reasonName } from './acl-log.js';
import { CATEGORY_NAMES, categoryFlag } from './catalog.js';
import { ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_OK, channelAllowed } from './check.js';
import { userVerdict } from './enforce.js';
import { aclFileOf, aclFor } from './registry.js';
import { SELECTOR_ALLCHANNELS, SELECTOR_ALLKEYS, hasSpaces, patternString, type Selector } from './selector.js';
import { USER_FLAG_NAMES, type AclUser } from './user.js';

const ERR_NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** Disconnects the clients authenticated as a removed user (ACLFreeUserAndKillClients). */
export function dropUserClients(node: ServerApi, self: Client, users: AclUser[]): void {
  if (users.length === 0) return;
  const acl = aclFor(node);
  for (const client of [...node.clients.values()]) {
    if (!users.includes(client.user)) continue;
    client.user = acl.defaultUser;
    client.setAuthenticated(false);
    if (client === self) client.closeAfterReply = true;
    else node.closeClient(client);
  }
}

/** ACLKillPubsubClientsIfNeeded: drops the user's subscribers whose channels the new rules deny. */
function dropRevokedSubscribers(node: ServerApi, self: Client, user: AclUser, before: AclUser): void {
  if (user.selectors.some((s) => (s.flags & SELECTOR_ALLCHANNELS) !== 0)) return;
  const upcoming = user.selectors.flatMap((s) => s.channels);
  const superset = before.selectors.every((s) => (s.flags & SELECTOR_ALLCHANNELS) === 0 && s.channels.every((ch) => upcoming.includes(ch)));
  if (superset) return;
  for (const client of [...node.clients.values()]) {
    const subs = client.subs;
    if (client.user !== user || subs === null || subs.total === 0) continue;
    let kill = false;
    for (const p of subs.patterns.keys()) if (!kill && !channelAllowed(upcoming, String(p), true)) kill = true;
    for (const ch of subs.channels.keys()) if (!kill && !channelAllowed(upcoming, String(ch), false)) kill = true;
    for (const ch of subs.shard.keys()) if (!kill && !channelAllowed(upcoming, String(ch), false)) kill = true;
    if (kill && client === self) client.closeAfterReply = true;
    else if (kill) node.closeClient(client);
  }
}

function setuser(c: CommandContext): void {
  const name = c.str(2);
  if (hasSpaces(name)) {
    c.w.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const rules: string[] = [];
  for (let i = 3; i < c.argc; i++) rules.push(c.str(i));
  const node = serverOf(c);
  const result = aclFor(node).setUser(name, rules);
  if (typeof result === 'string') {
    c.w.error(`ERR ${result.replace(/[\r\n]/g, ' ')}`);
    return;
  }
  if (result.before !== null) dropRevokedSubscribers(node, clientOf(c), result.user, result.before);
  c.w.ok();
}

function deluser(c: CommandContext): void {
  for (let i = 2; i < c.argc; i++) {
    if (c.str(i) === 'default') {
      c.w.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  const node = serverOf(c);
  const acl = aclFor(node);
  const removed: AclUser[] = [];
  for (let i = 2; i < c.argc; i++) {
    const u = acl.delete(c.str(i));
    if (u !== undefined) removed.push(u);
  }
  dropUserClients(node, clientOf(c), removed);
  c.w.integer(removed.length);
}

/** aclAddReplySelectorDescription: commands, keys, channels. */
function writeSelector(c: CommandContext, s: Selector): void {
  c.w.bulk('commands');
  c.w.bulk(s.describeCommandRules());
  c.w.bulk('keys');
  c.w.bulk((s.flags & SELECTOR_ALLKEYS) !== 0 ? '~*' : s.patterns.map(patternString).join(' '));
  c.w.bulk('channels');
  c.w.bulk((s.flags & SELECTOR_ALLCHANNELS) !== 0 ? '&*' : s.channels.map((ch) => `&${ch}`).join(' '));
}

function getuser(c: CommandContext): void {
  const u = aclFor(serverOf(c)).get(c.str(2));
  if (u === undefined) {
    c.w.nil();
    return;
  }
  c.w.map(6);
  c.w.bulk('flags');
  const flags = USER_FLAG_NAMES.filter(([flag]) => (u.flags & flag) !== 0);
  c.w.set(flags.length);
  for (const [, name] of flags) c.w.bulk(name);
  c.w.bulk('passwords');
  c.w.array(u.passwords.length);
  for (const p of u.passwords) c.w.bulk(p);
  writeSelector(c, u.root);
  c.w.bulk('selectors');
  c.w.array(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    c.w.map(3);
    writeSelector(c, s);
  }
}

function list(c: CommandContext, namesOnly: boolean): void {
  const users = aclFor(serverOf(c)).list();
  c.w.array(users.length);
  for (const u of users) c.w.bulk(namesOnly ? u.name : `user ${u.name} ${u.describe()}`);
}

function whoami(c: CommandContext): void {
  c.w.bulk(clientOf(c).user.name);
}

function load(c: CommandContext): void {
  const node = serverOf(c);
  const file = aclFileOf(node);
  if (file === '') {
    c.w.error(ERR_NO_ACLFILE);
    return;
  }
  const result = aclFor(node).loadFile(file);
  if (typeof result === 'string') {
    c.w.error(`ERR ${result}`);
    return;
  }
  dropUserClients(node, clientOf(c), result);
  c.w.ok();
}

function save(c: CommandContext): void {
  const node = serverOf(c);
  const file = aclFileOf(node);
  if (file === '') {
    c.w.error(ERR_NO_ACLFILE);
    return;
  }
  if (aclFor(node).saveFile(file)) c.w.ok();
  else c.w.error('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
}

function cat(c: CommandContext): void {
  if (c.argc === 2) {
    c.w.array(CATEGORY_NAMES.length);
    for (const name of CATEGORY_NAMES) c.w.bulk(name);
    return;
  }
  if (c.argc !== 3) {
    subcommandSyntaxError(c);
    return;
  }
  const flag = categoryFlag(c.str(2));
  if (flag === 0) {
    c.w.error(`ERR Unknown category '${c.str(2).slice(0, 128)}'`);
    return;
  }
  const names: string[] = [];
  aclFor(serverOf(c)).catalog.forEach((cmd) => {
    if ((cmd.categories & flag) !== 0) names.push(cmd.fullName);
  });
  c.w.array(names.length);
  for (const n of names) c.w.bulk(n);
}

function genpass(c: CommandContext): void {
  if (c.argc > 3) {
    subcommandSyntaxError(c);
    return;
  }
  let bits = 256;
  if (c.argc === 3) {
    const n = c.int(2);
    if (n === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    bits = n;
  }
  if (bits <= 0 || bits > 4096) {
    c.w.error('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.w.bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function log(c: CommandContext): void {
  if (c.argc > 3) {
    subcommandSyntaxError(c);
    return;
  }
  const acl = aclFor(serverOf(c));
  let count = 10;
  if (c.argc === 3) {
    if (c.is(2, 'reset')) {
      acl.log.reset();
      c.w.ok();
      return;
    }
    const n = c.int(2);
    if (n === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    count = Math.max(0, n);
  }
  const entries = acl.log.entries.slice(0, count);
  const now = Date.now();
  c.w.array(entries.length);
  for (const e of entries) {
    c.w.map(7);
    c.w.bulk('count');
    c.w.integer(e.count);
    c.w.bulk('reason');
    c.w.bulk(reasonName(e.reason));
    c.w.bulk('context');
    c.w.bulk(e.context);
    c.w.bulk('object');
    c.w.bulk(e.object);
    c.w.bulk('username');
    c.w.bulk(e.username);
    c.w.bulk('age-seconds');
    c.w.double(formatDouble((now - e.ctime) / 1000));
    c.w.bulk('client-info');
    c.w.bulk(e.clientInfo);
  }
}

function dryrun(c: CommandContext): void {
  const node = serverOf(c);
  const acl = aclFor(node);
  const user = acl.get(c.str(2));
  if (user === undefined) {
    c.w.error(`ERR User '${c.str(2)}' not found`);
    return;
  }
  // The call to check is argv[3..]: a view of the same arguments, shifted.
  const a = c.args;
  const args = { buf: a.buf, argc: a.argc - 3, start: a.start.slice(3, a.argc), end: a.end.slice(3, a.argc) };
  const top = node.table.lookupTop(args);
  const cmd = top === undefined ? null : CommandTable.resolve(top, args);
  if (cmd === null) {
    c.w.error(`ERR Command '${c.str(3)}' not found`);
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== args.argc) || args.argc < -cmd.arity) {
    c.w.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
    return;
  }
  const verdict = userVerdict(acl, user, cmd, args);
  if (verdict.result === ACL_OK) {
    c.w.ok();
    return;
  }
  if (verdict.result === ACL_DENIED_CMD) c.w.bulk(`This user has no permissions to run the '${cmd.fullName}' command`);
  else {
    const what = verdict.result === ACL_DENIED_KEY ? 'key' : 'channel';
    c.w.bulk(`This user has no permissions to access the '${c.str(verdict.pos + 3)}' ${what}`);
  }
}

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(c: CommandContext): void {
  c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1).slice(0, 128)}'. Try ACL HELP.`);
}

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const ADMIN = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const PLAIN = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;

export const aclCommands: CommandDef[] = [
  {
    name: 'acl',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'cat', arity: -2, flags: PLAIN, handler: cat },
      { name: 'deluser', arity: -3, flags: ADMIN, handler: deluser },
      { name: 'dryrun', arity: -4, flags: ADMIN, handler: dryrun },
      { name: 'genpass', arity: -2, flags: PLAIN, handler: genpass },
      { name: 'getuser', arity: 3, flags: ADMIN, handler: getuser },
      {
        name: 'help',
        arity: 2,
        flags: CMD_LOADING | CMD_STALE,
        handler: (c) => {
          c.w.array(ACL_HELP.length);
          for (const l of ACL_HELP) c.w.simple(l);
        },
      },
      { name: 'list', arity: 2, flags: ADMIN, handler: (c) => list(c, false) },
      { name: 'load', arity: 2, flags: ADMIN, handler: load },
      { name: 'log', arity: -2, flags: ADMIN, handler: log },
      { name: 'save', arity: 2, flags: ADMIN, handler: save },
      { name: 'setuser', arity: -3, flags: ADMIN, handler: setuser },
      { name: 'users', arity: 2, flags: ADMIN, handler: (c) => list(c, true) },
      { name: 'whoami', arity: 2, flags: PLAIN, handler: whoami },
    ],
  },
];
