// Whether a user may run one call (Redis 7.0's ACLCheckAllUserCommandPerm): some selector must
// allow the command (or its first argument), every key the call names (found by the command's key
// specs, with the read/write permission its spec's flags need) and every channel it publishes or
// subscribes to. When none does, the error reported is the "most relevant" one, as Redis picks it:
// a key or channel denial over a command denial, and among those the one at the highest argument.

import { keySpecsOf, keysBySpecs, listOf, type KeySpec } from '../../commands/key-specs.js';
import type { RespValue } from '../../protocol/resp-value.js';
import { globMatch } from '../../util/glob.js';
import type { AclCommand } from './catalog.js';
import { KEY_READ, KEY_WRITE, SELECTOR_ALLCHANNELS, SELECTOR_ALLCOMMANDS, SELECTOR_ALLKEYS, type Selector } from './selector.js';
import type { AclUser } from './user.js';

/** Redis's ACL_OK and ACL_DENIED_* values (their order ranks denials). */
export const ACL_OK = 0;
export const ACL_DENIED_CMD = 1;
export const ACL_DENIED_KEY = 2;
export const ACL_DENIED_AUTH = 3;
export const ACL_DENIED_CHANNEL = 4;

/** The call being checked: its argument count and arguments as latin1 text (argv[0] is the name). */
export interface AclCall {
  readonly argc: number;
  arg(i: number): string;
}

export interface AclVerdict {
  result: number;
  /** The argument index of the denied key or channel. */
  pos: number;
}

interface KeyRef {
  pos: number;
  /** KEY_READ | KEY_WRITE: what the key's access needs. */
  need: number;
}

/** A spec's flags as the permissions they need: access reads, insert/delete/update write. */
function specNeeds(flags: RespValue): number {
  let need = 0;
  for (const f of listOf(flags)) {
    const name = typeof f === 'string' ? f : f !== null && typeof f === 'object' && 'simple' in f ? String(f.simple) : '';
    if (name === 'access') need |= KEY_READ;
    else if (name === 'insert' || name === 'delete' || name === 'update') need |= KEY_WRITE;
  }
  return need;
}

function isNotKey(spec: KeySpec): boolean {
  return listOf(spec.flags).some((f) => f !== null && typeof f === 'object' && 'simple' in f && f.simple === 'not_key');
}

const specsCache = new Map<string, KeySpec[]>();

function specsOf(fullName: string): KeySpec[] {
  let specs = specsCache.get(fullName);
  if (specs === undefined) {
    specs = (keySpecsOf(fullName) ?? []).filter((s) => !isNotKey(s));
    specsCache.set(fullName, specs);
  }
  return specs;
}

/**
 * The keys a call names and what each needs, by the key specs (getKeysFromCommandWithSpecs).
 * SET and BITFIELD have variable flags: Redis asks their getkeys functions, ported here. A call
 * whose arguments do not fit its specs names no keys (it fails its own syntax check later).
 */
export function keysOf(cmd: AclCommand, call: AclCall): KeyRef[] {
  if (cmd.fullName === 'sort' || cmd.fullName === 'sort_ro') return sortKeys(call, cmd.fullName === 'sort');
  const specs = specsOf(cmd.fullName);
  if (specs.length === 0) return [];
  const found = keysBySpecs(specs, call.argc, (i) => call.arg(i));
  if (found === null) return [];
  const refs = found.map(({ pos, spec }) => ({ pos, need: specNeeds(spec.flags) }));
  if (cmd.fullName === 'set' && refs.length > 0) {
    let get = false;
    for (let i = 3; i < call.argc && !get; i++) get = call.arg(i).toLowerCase() === 'get';
    refs[0].need = get ? KEY_READ | KEY_WRITE : KEY_WRITE;
  } else if (cmd.fullName === 'bitfield' && refs.length > 0) {
    refs[0].need = bitfieldReadOnly(call) ? KEY_READ : KEY_READ | KEY_WRITE;
  }
  return refs;
}

/**
 * sortGetKeys / sortROGetKeys (SORT's BY/GET and STORE specs are "unknown"): the sorted key
 * reads; SORT's last STORE <key> (options LIMIT, GET and BY skipped with their arguments) writes.
 */
function sortKeys(call: AclCall, withStore: boolean): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, need: KEY_READ }];
  if (!withStore) return keys;
  const skips = new Map([
    ['limit', 2],
    ['get', 1],
    ['by', 1],
  ]);
  let store = -1;
  for (let i = 2; i < call.argc; i++) {
    const word = call.arg(i).toLowerCase();
    const skip = skips.get(word);
    if (skip !== undefined) i += skip;
    else if (word === 'store' && i + 1 < call.argc) store = i + 1;
  }
  if (store >= 0) keys.push({ pos: store, need: KEY_WRITE });
  return keys;
}

/** bitfieldGetKeys: only GET (and OVERFLOW) operations read; anything else (or a syntax error) writes. */
function bitfieldReadOnly(call: AclCall): boolean {
  for (let i = 2; i < call.argc; i++) {
    const rem = call.argc - i - 1;
    const op = call.arg(i).toLowerCase();
    if (op === 'get' && rem >= 2) i += 2;
    else if ((op === 'set' || op === 'incrby') && rem >= 3) return false;
    else if (op === 'overflow' && rem >= 1) i += 1;
    else return false;
  }
  return true;
}

/** Commands with channels Redis checks (commands_with_channels): first index, count (-1: all), pattern. */
const CHANNEL_COMMANDS = new Map<string, { count: number; pattern: boolean }>([
  ['subscribe', { count: -1, pattern: false }],
  ['ssubscribe', { count: -1, pattern: false }],
  ['psubscribe', { count: -1, pattern: true }],
  ['publish', { count: 1, pattern: false }],
  ['spublish', { count: 1, pattern: false }],
]);

/** ACLCheckChannelAgainstList: a pattern subscription must name an allowed pattern literally. */
export function channelAllowed(list: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const p of list) if (isPattern ? p === channel : globMatch(p, channel)) return true;
  return false;
}

/** ACLSelectorCheckKey. */
export function keyAllowed(selector: Selector, key: string, need: number): boolean {
  if ((selector.flags & SELECTOR_ALLKEYS) !== 0) return true;
  for (const p of selector.patterns) {
    if ((p.flags & need) !== need) continue;
    if (globMatch(p.pattern, key)) return true;
  }
  return false;
}

/** ACLSelectorCheckCmd; `keys` is computed once for all selectors. */
function selectorVerdict(s: Selector, cmd: AclCommand, noAuth: boolean, call: AclCall, keys: () => KeyRef[]): AclVerdict {
  if ((s.flags & SELECTOR_ALLCOMMANDS) === 0 && !noAuth && !s.commandBit(cmd.id)) {
    const allowed = s.firstArgs?.get(cmd.id);
    if (call.argc < 2 || allowed === undefined) return { result: ACL_DENIED_CMD, pos: 0 };
    const arg = call.arg(cmd.parent !== null ? 2 : 1).toLowerCase();
    if (!allowed.some((a) => a.toLowerCase() === arg)) return { result: ACL_DENIED_CMD, pos: 0 };
  }
  if ((s.flags & SELECTOR_ALLKEYS) === 0) {
    for (const k of keys()) if (!keyAllowed(s, call.arg(k.pos), k.need)) return { result: ACL_DENIED_KEY, pos: k.pos };
  }
  const channels = CHANNEL_COMMANDS.get(cmd.fullName);
  if ((s.flags & SELECTOR_ALLCHANNELS) === 0 && channels !== undefined) {
    const end = channels.count < 0 ? call.argc : Math.min(call.argc, 1 + channels.count);
    for (let i = 1; i < end; i++) {
      if (!channelAllowed(s.channels, call.arg(i), channels.pattern)) return { result: ACL_DENIED_CHANNEL, pos: i };
    }
  }
  return { result: ACL_OK, pos: 0 };
}

/** ACLCheckAllUserCommandPerm. `noAuth`: the command is flagged no-auth (AUTH, HELLO...): always allowed. */
export function checkCommand(user: AclUser, cmd: AclCommand, noAuth: boolean, call: AclCall): AclVerdict {
  let cached: KeyRef[] | null = null;
  const keys = (): KeyRef[] => (cached ??= keysOf(cmd, call));
  let relevant = ACL_DENIED_CMD;
  let lastPos = 0;
  for (const s of user.selectors) {
    const v = selectorVerdict(s, cmd, noAuth, call, keys);
    if (v.result === ACL_OK) return v;
    if (v.result > relevant || (v.result === relevant && v.pos > lastPos)) {
      relevant = v.result;
      lastPos = v.pos;
    }
  }
  return { result: relevant, pos: lastPos };
}

/**
 * ACLUserCheckCmdWithUnrestrictedKeyAccess (for SORT's BY and GET, which read keys named by the
 * data): some selector allows the call and may read every key (allkeys, or a `*` pattern that
 * reads).
 */
export function userHasFullReadAccess(user: AclUser, cmd: AclCommand, noAuth: boolean, call: AclCall): boolean {
  let cached: KeyRef[] | null = null;
  const keys = (): KeyRef[] => (cached ??= keysOf(cmd, call));
  for (const s of user.selectors) {
    if (selectorVerdict(s, cmd, noAuth, call, keys).result !== ACL_OK) continue;
    if ((s.flags & SELECTOR_ALLKEYS) !== 0) return true;
    if (s.patterns.some((p) => (p.flags & KEY_READ) !== 0 && p.pattern === '*')) return true;
  }
  return false;
}

/** ACLUserCheckChannelPerm: may the user use this channel (or, literally, this pattern)? */
export function userChannelAllowed(user: AclUser, channel: string, isPattern: boolean): boolean {
  for (const s of user.selectors) {
    if ((s.flags & SELECTOR_ALLCHANNELS) !== 0) return true;
    if (channelAllowed(s.channels, channel, isPattern)) return true;
  }
  return false;
}

/** The NOPERM reply processCommand gives for a denial. */
export function deniedError(result: number, fullName: string): string {
  if (result === ACL_DENIED_CMD) return `NOPERM this user has no permissions to run the '${fullName}' command`;
  if (result === ACL_DENIED_KEY) return 'NOPERM this user has no permissions to access one of the keys used as arguments';
  if (result === ACL_DENIED_CHANNEL) return 'NOPERM this user has no permissions to access one of the channels used as arguments';
  return 'ERR no permission';
}

/** getAclErrorMessage: the tail of a script's denial ("The user executing the script ..."). */
export function scriptDeniedMessage(result: number): string {
  if (result === ACL_DENIED_CMD) return "can't run this command or subcommand";
  if (result === ACL_DENIED_KEY) return "can't access at least one of the keys mentioned in the command arguments";
  if (result === ACL_DENIED_CHANNEL) return "can't publish to the channel mentioned in the command";
  return 'lacking the permissions for the command';
}

/** The reason EXEC gives when a queued command is no longer allowed. */
export function execDeniedReason(result: number): string {
  if (result === ACL_DENIED_CMD) return 'no permission to execute the command or subcommand';
  if (result === ACL_DENIED_KEY) return 'no permission to touch the specified keys';
  if (result === ACL_DENIED_CHANNEL) return 'no permission to access one of the channels used as arguments';
  return 'no permission';
}
