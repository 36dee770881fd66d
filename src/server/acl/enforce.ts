// The ACL check as the server runs it: a corral command and its parsed arguments, checked for a
// client's user against Redis's command catalog, denials written to the ACL log with the client's
// CLIENT LIST line. The dispatcher calls clientDenial() only when the client's user is not
// unrestricted (one boolean test on the hot path); EXEC and scripts call it for every command
// their restricted callers run.

import type { Command } from '../../commands/table.js';
import { CMD_NO_AUTH } from '../../commands/table.js';
import type { CommandArgs } from '../../protocol/request-parser.js';
import { latin1 } from '../../util/bytes.js';
import type { AclLogContext } from './acl-log.js';
import type { AclCommand } from './catalog.js';
import { ACL_DENIED_CMD, ACL_OK, checkCommand, type AclCall, type AclVerdict } from './check.js';
import type { Acl } from './registry.js';
import type { AclUser } from './user.js';

const catalogEntries = new WeakMap<Command, AclCommand | null>();

/** The catalog's entry for a corral command (null: Redis has no such command, e.g. CORRAL ...). */
export function aclCommandOf(acl: Acl, cmd: Command): AclCommand | null {
  let entry = catalogEntries.get(cmd);
  if (entry === undefined) {
    entry = acl.catalog.lookup(cmd.fullName) ?? null;
    catalogEntries.set(cmd, entry);
  }
  return entry;
}

/** A parsed request as an AclCall (arguments decoded on demand). */
export function callOf(args: CommandArgs): AclCall {
  return { argc: args.argc, arg: (i) => latin1(args.buf, args.start[i], args.end[i]) };
}

/**
 * The verdict for a user running cmd with args. A corral-only command (not in Redis's table) is
 * allowed only to a user whose root selector allows every command.
 */
export function userVerdict(acl: Acl, user: AclUser, cmd: Command, args: CommandArgs): AclVerdict {
  const entry = aclCommandOf(acl, cmd);
  if (entry === null) {
    const allowed = (cmd.flags & CMD_NO_AUTH) !== 0 || user.root.futureCommands;
    return { result: allowed ? ACL_OK : ACL_DENIED_CMD, pos: 0 };
  }
  return checkCommand(user, entry, (cmd.flags & CMD_NO_AUTH) !== 0, callOf(args));
}

/** The ACL log's object for a denial: the command's full name, or the key or channel denied. */
export function deniedObject(verdict: AclVerdict, cmd: Command, args: CommandArgs): string {
  if (verdict.result === ACL_DENIED_CMD) return cmd.fullName;
  return latin1(args.buf, args.start[verdict.pos], args.end[verdict.pos]);
}

/**
 * Checks a call and logs a denial: null when allowed, else the verdict. `clientInfo` gives the
 * CLIENT LIST line of the client to log (the script's caller for a script's command).
 */
export function checkAndLog(
  acl: Acl,
  user: AclUser,
  cmd: Command,
  args: CommandArgs,
  context: AclLogContext,
  clientInfo: () => string,
  now: number,
): AclVerdict | null {
  const verdict = userVerdict(acl, user, cmd, args);
  if (verdict.result === ACL_OK) return null;
  acl.log.add({
    reason: verdict.result,
    context,
    object: deniedObject(verdict, cmd, args),
    username: user.name,
    ctime: now,
    clientInfo: clientInfo(),
  });
  return verdict;
}
