// Writes made outside a command's call, on their way to the replicas (while this node is a
// primary with a replication stream) and to the importers of the slots it exports: a command
// given as words (a blocked client's pop, replicated as the plain pop), and the keys that expiry
// and eviction remove (the store's key-removed hook).

import { CommandTable } from '../commands/table.js';
import type { ReplicationSource } from '../cluster/replication/source.js';
import type { NodeMigration } from './migration.js';
import { argsOfWords } from './node-words.js';

/** Where such writes go. */
export interface PropagationNode {
  readonly replStream: ReplicationSource | null;
  readonly migration: NodeMigration | null;
  readonly table: CommandTable;
}

/** Replicates a write made outside a command's call, given as a command's words. */
export function propagateWords(node: PropagationNode, db: number, words: string[]): void {
  const stream = node.replStream;
  // No stream (a primary that never had a replica) may still export a slot: the words' keys go to its importer.
  const migration = node.migration !== null && node.migration.exporting ? node.migration : null;
  if (stream === null && migration === null) return;
  const args = argsOfWords(words);
  const top = node.table.lookupTop(args);
  const cmd = top === undefined ? null : CommandTable.resolve(top, args);
  if (cmd === null) throw new Error(`propagating an unknown command: ${words[0]}`);
  stream?.propagate(cmd, args, db, false);
  if (migration !== null) migration.written(cmd, args);
}

/** The store's key-removed hook: null while neither replicas nor an exported slot need it. */
export function keyRemovedHook(node: PropagationNode): ((db: number, key: Buffer) => void) | null {
  const stream = node.replStream;
  const migration = node.migration?.exporting === true ? node.migration : null;
  return stream === null && migration === null
    ? null
    : (db, key) => {
        stream?.keyRemoved(db, key.toString('latin1'));
        migration?.keyRemoved(db, key);
      };
}
