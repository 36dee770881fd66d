// Automatic pipelining for the client core (cluster-client.ts): the connections written to in
// the current turn, flushed together. The first command of a turn on a connection marks it dirty
// (connection.ts asks the core, which asks this); the first mark of a turn schedules one flush
// (setImmediate by default, measured faster than a microtask: see options.ts flush), which writes
// each dirty connection's buffer in one socket write.

import type { Connection } from './connection.js';

export class Flusher {
  private readonly dirty: Connection[] = [];
  private scheduled = false;

  constructor(private readonly mode: 'microtask' | 'immediate') {}

  /** Flushes the connection with the others at the end of this turn. */
  markDirty(conn: Connection): void {
    conn.dirty = true;
    this.dirty.push(conn);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.mode === 'immediate') setImmediate(this.flushAll);
    else queueMicrotask(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    for (let i = 0; i < list.length; i++) list[i].flush();
    list.length = 0;
  };
}
