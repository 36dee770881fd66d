// All data commands (strings, keys, hashes, lists, sets, sorted sets, GEO, SORT, SSCAN/ZSCAN, cache-aside
// leases, DUMP/RESTORE): the table's data-plane part. Server-level commands (connection, transactions, admin) live in server/commands/.

import type { CommandDef } from './table.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { hashCommands } from './hashes.js';
import { listCommands } from './lists.js';
import { setCommands } from './sets.js';
import { zsetCommands } from './zsets.js';
import { sortCommands } from './sort.js';
import { collectionScanCommands } from './collection-scan.js';
import { leaseCommands } from './leases.js';
import { dumpCommands } from './dump.js';
import { bitmapCommands } from './bitmaps.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { popCommands } from './pops.js';
import { zsetAlgebraCommands } from './zset-algebra.js';
import { setCardCommands } from './set-card.js';
import { lcsCommands } from './lcs.js';
import { geoCommands } from './geo.js';
import { streamCommands } from './streams.js';
import { streamGroupCommands } from './stream-groups.js';
import { streamClaimCommands } from './stream-claim.js';
import { streamInfoCommands } from './stream-info.js';

export const dataCommands: CommandDef[] = [
  ...hyperloglogCommands,
  ...stringCommands,
  ...keyCommands,
  ...hashCommands,
  ...listCommands,
  ...setCommands,
  ...zsetCommands,
  ...zsetAlgebraCommands,
  ...setCardCommands,
  ...lcsCommands,
  ...geoCommands,
  ...streamCommands,
  ...streamGroupCommands,
  ...streamClaimCommands,
  ...streamInfoCommands,
  ...sortCommands,
  ...collectionScanCommands,
  ...leaseCommands,
  ...dumpCommands,
  ...bitmapCommands,
  ...popCommands,
];
