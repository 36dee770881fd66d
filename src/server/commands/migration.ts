// Slot-move commands a node serves (server/migration.ts, docs/resharding.md): CORRAL EXPORT (an
// importer asks for a slot's keys and writes; this connection becomes the stream), CORRAL IMPORT
// (start or abort importing a slot from its owner), CORRAL SLOTPAUSE (pause a slot's writes for
// its switch; replies the mark the importer must reach) and CORRAL MIGRATIONS (this node's moves).

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { clientOf, serverOf } from './util.js';

const S = CMD_LOADING | CMD_STALE;
const ERR_NO_CLUSTER = 'ERR This instance has cluster support disabled';

/** The slot argument at i, or undefined after replying the error. */
function slotArg(c: CommandContext, i: number): number | undefined {
  const slot = c.int(i);
  if (slot === undefined || slot < 0 || slot > 16383) {
    c.w.error('ERR Invalid or out of range slot');
    return undefined;
  }
  return slot;
}

/** CORRAL EXPORT <slot>: no reply of its own; the export stream follows (+EXPORT ...). */
function exportCommand(c: CommandContext): void {
  const slot = slotArg(c, 2);
  if (slot === undefined) return;
  const m = serverOf(c).migration;
  const error = m === null ? ERR_NO_CLUSTER : m.exportTo(clientOf(c), slot);
  if (error !== null) c.w.error(error);
}

/** CORRAL IMPORT <slot> <host> <port> | CORRAL IMPORT <slot> ABORT */
function importCommand(c: CommandContext): void {
  const slot = slotArg(c, 2);
  if (slot === undefined) return;
  const m = serverOf(c).migration;
  if (m === null) {
    c.w.error(ERR_NO_CLUSTER);
    return;
  }
  if (c.argc === 4 && c.lower(3) === 'abort') {
    c.w.integer(m.abortImport(slot) ? 1 : 0);
    return;
  }
  if (c.argc !== 5) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const port = c.int(4);
  if (port === undefined || port < 1 || port > 65535) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const error = m.importFrom(slot, c.str(3), port);
  if (error !== null) c.w.error(error);
  else c.w.ok();
}

/** CORRAL SLOTPAUSE <slot> <ms> */
function slotPauseCommand(c: CommandContext): void {
  const slot = slotArg(c, 2);
  if (slot === undefined) return;
  const ms = c.int(3);
  if (ms === undefined || ms < 0 || ms > 60_000) {
    c.w.error('ERR the pause must be 0 (resume) to 60000 ms');
    return;
  }
  const m = serverOf(c).migration;
  const r = m === null ? ERR_NO_CLUSTER : m.pause(slot, ms);
  if (typeof r === 'string') c.w.error(r);
  else c.w.integer(r);
}

/** CORRAL MIGRATIONS: one line per export, import and slot being emptied. */
function migrationsCommand(c: CommandContext): void {
  const lines = serverOf(c).migration?.describe() ?? [];
  c.w.array(lines.length);
  for (const l of lines) c.w.bulk(l);
}

export const corralMigrationCommands: CommandDef[] = [
  { name: 'export', arity: 3, flags: CMD_ADMIN | S, handler: exportCommand },
  { name: 'import', arity: -4, flags: CMD_ADMIN | S, handler: importCommand },
  { name: 'slotpause', arity: 4, flags: CMD_ADMIN | S, handler: slotPauseCommand },
  { name: 'migrations', arity: 2, flags: S, handler: migrationsCommand },
];
