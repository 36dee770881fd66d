// Test support: asserts that command definitions carry Redis 7.0.15's arity, key positions and
// flags, as recorded in src/commands/redis-meta.ts (generated from a real redis-server).

import assert from 'node:assert/strict';
import { REDIS_COMMAND_META } from '../../src/commands/redis-meta.js';
import { Command, flagNames, type CommandDef } from '../../src/commands/table.js';
import type { RespValue } from '../../src/protocol/resp-value.js';

/**
 * For each definition (and its subcommands): arity, first/last key and step, and flags equal
 * COMMAND INFO's. With `onlyModelledFlags`, Redis flags the table has no bit for (allow_busy...)
 * are left out of the comparison.
 */
export function assertMatchesRedis(defs: CommandDef[], onlyModelledFlags = false, parent: Command | null = null): void {
  const modelled = new Set(flagNames(-1));
  for (const def of defs) {
    const cmd = new Command(def, parent);
    let info = REDIS_COMMAND_META[parent === null ? def.name : parent.name]?.info as RespValue[] | undefined;
    if (parent !== null) info = (info?.[9] as RespValue[]).find((s) => Array.isArray(s) && s[0] === cmd.fullName) as RespValue[] | undefined;
    assert.ok(info, `no Redis metadata for ${cmd.fullName}`);
    assert.deepEqual([cmd.arity, cmd.firstKey, cmd.lastKey, cmd.keyStep], [info[1], info[3], info[4], info[5]], `arity and keys of ${cmd.fullName}`);
    let theirs = (info[2] as { set: Array<{ simple: string }> }).set.map((f) => f.simple);
    if (onlyModelledFlags) theirs = theirs.filter((f) => modelled.has(f));
    assert.deepEqual(flagNames(cmd.flags).sort(), theirs.sort(), `flags of ${cmd.fullName}`);
    if (def.subcommands !== undefined) assertMatchesRedis(def.subcommands, onlyModelledFlags, cmd);
  }
}
