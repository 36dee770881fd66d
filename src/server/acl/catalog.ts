// The ACL's view of Redis's command table: every command and subcommand of redis-server 7.0.15
// with its ACL categories (as COMMAND INFO reports them, implicit ones included) and a dense id
// that indexes a selector's command bitmap. ACL rules are about Redis's commands, not corral's:
// `+failover` is a valid rule even though corral has no FAILOVER, and a category's size (which
// the rule compaction of ACL LIST weighs) counts every command Redis has. The table comes from
// the metadata corral keeps (commands/redis-meta.ts), plus the few commands it leaves out.
//
// Order: Redis walks its command dict, whose order depends on a per-process random hash seed;
// corral walks the metadata's order (top-level commands, each followed by its subcommands).

import { REDIS_COMMAND_META } from '../../commands/redis-meta.js';
import type { RespValue } from '../../protocol/resp-value.js';

/** Redis's ACL categories, in ACLCommandCategories order (ACL CAT lists them so). */
export const CATEGORY_NAMES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

/** A category's bit (1 << its index in CATEGORY_NAMES), or 0 when the name is unknown (case-insensitive). */
export function categoryFlag(name: string): number {
  const i = (CATEGORY_NAMES as readonly string[]).indexOf(name.toLowerCase());
  return i < 0 ? 0 : 1 << i;
}

export interface AclCommand {
  /** Index into a selector's command bitmap. */
  readonly id: number;
  /** "get", "config|get". */
  readonly fullName: string;
  /** Bits of CATEGORY_NAMES. */
  readonly categories: number;
  readonly parent: AclCommand | null;
  readonly subcommands: AclCommand[];
}

/**
 * Redis 7.0.15 commands the metadata does not hold (corral does not implement them), as
 * [name, categories, subcommands] from redis-server's COMMAND INFO.
 */
const ADM = ['admin', 'slow', 'dangerous'];
const MISSING: Array<[string, string[], Array<[string, string[]]>]> = [
  ['bgrewriteaof', ADM, []],
  ['failover', ADM, []],
  ['latency', ['slow'], [['histogram', ADM], ['graph', ADM], ['help', ['slow']], ['doctor', ADM], ['reset', ADM], ['history', ADM], ['latest', ADM]]],
  ['lolwut', ['read', 'fast'], []],
  ['migrate', ['keyspace', 'write', 'slow', 'dangerous'], []],
  ['module', ['slow'], [['help', ['slow']], ['load', ADM], ['loadex', ADM], ['list', ADM], ['unload', ADM]]],
  ['monitor', ADM, []],
  ['restore-asking', ['keyspace', 'write', 'slow', 'dangerous'], []],
];

function categoriesOf(names: string[]): number {
  let bits = 0;
  for (const n of names) bits |= categoryFlag(n.startsWith('@') ? n.slice(1) : n);
  return bits;
}

function setItems(v: RespValue | undefined): RespValue[] {
  if (Array.isArray(v)) return v;
  if (v !== null && v !== undefined && typeof v === 'object' && 'set' in v) return v.set;
  return [];
}

function simpleText(v: RespValue): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && 'simple' in v) return String(v.simple);
  return '';
}

export class CommandCatalog {
  /** Top-level commands, in the order rules and ACL CAT walk them. */
  readonly top: AclCommand[] = [];
  /** Every command and subcommand, by id. */
  readonly byId: AclCommand[] = [];
  private readonly byName = new Map<string, AclCommand>();

  /** Adds a command (and its subcommands) given as [name, categories, subcommands]. */
  add(name: string, categories: string[], subs: Array<[string, string[]]>, parent: AclCommand | null = null): AclCommand {
    const fullName = parent === null ? name : `${parent.fullName}|${name}`;
    const subcommands: AclCommand[] = [];
    const cmd: AclCommand = {
      id: this.byId.length,
      fullName,
      categories: categoriesOf(categories),
      parent,
      subcommands,
    };
    this.byId.push(cmd);
    this.byName.set(fullName, cmd);
    if (parent === null) this.top.push(cmd);
    for (const [subName, subCats] of subs) subcommands.push(this.add(subName, subCats, [], cmd));
    return cmd;
  }

  /** Number of command ids (the bitmap's size without its "future commands" bit). */
  get size(): number {
    return this.byId.length;
  }

  /** ACLLookupCommand: "get", "config|get" (case-insensitive); undefined when Redis has no such command. */
  lookup(name: string): AclCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Calls fn for every command then its subcommands, depth first, as Redis's dict walks do. */
  forEach(fn: (cmd: AclCommand) => void): void {
    for (const cmd of this.top) {
      fn(cmd);
      for (const sub of cmd.subcommands) fn(sub);
    }
  }
}

function fromMeta(): CommandCatalog {
  const catalog = new CommandCatalog();
  for (const meta of Object.values(REDIS_COMMAND_META)) {
    const info = meta.info;
    if (!Array.isArray(info) || typeof info[0] !== 'string') continue;
    const subs: Array<[string, string[]]> = [];
    for (const sub of setItems(info[9])) {
      if (!Array.isArray(sub) || typeof sub[0] !== 'string') continue;
      subs.push([sub[0].slice(sub[0].indexOf('|') + 1), setItems(sub[6]).map(simpleText)]);
    }
    catalog.add(info[0], setItems(info[6]).map(simpleText), subs);
  }
  for (const [name, cats, subs] of MISSING) if (catalog.lookup(name) === undefined) catalog.add(name, cats, subs);
  return catalog;
}

/** Redis 7.0.15's command table, as the ACL sees it (shared: it never changes). */
export const REDIS_CATALOG: CommandCatalog = fromMeta();
