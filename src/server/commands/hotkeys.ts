// CORRAL HOTKEYS [COUNT n]: this node's keys with the highest access rate over the last few
// seconds (src/store/hotkeys.ts: the summary, its window and its error bound), as a flat array
// key, ops/s, key, ops/s ..., highest first. Rates are integers (rounded estimates, as INFO's
// instantaneous_ops_per_sec). COUNT defaults to 10; at most the summary's capacity come back.

import type { CommandContext } from '../../commands/context.js';
import { CMD_LOADING, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';

export const DEFAULT_HOTKEYS_COUNT = 10;
const ERR_NOT_POSITIVE = 'ERR value is out of range, must be positive';

function hotkeysCommand(c: CommandContext): void {
  let count = DEFAULT_HOTKEYS_COUNT;
  for (let i = 2; i < c.argc; i += 2) {
    if (!c.is(i, 'count') || i + 1 >= c.argc) {
      c.w.error(ERR_SYNTAX);
      return;
    }
    const n = c.int(i + 1);
    if (n === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    if (n <= 0) {
      c.w.error(ERR_NOT_POSITIVE);
      return;
    }
    count = n;
  }
  const top = c.store.hotKeys.top(count);
  c.w.array(top.length * 2);
  for (const h of top) {
    c.w.bulk(h.key);
    c.w.integer(Math.round(h.opsPerSec));
  }
}

export const corralHotkeysCommands: CommandDef[] = [
  { name: 'hotkeys', arity: -2, flags: CMD_STALE | CMD_LOADING, handler: hotkeysCommand },
];
