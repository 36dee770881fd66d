// The slowlog: the most recent commands that ran longer than slowlog-log-slower-than
// microseconds, newest first, with Redis's argument truncation (32 args, 128 bytes each).

import type { CommandArgs } from '../protocol/request-parser.js';
import { latin1 } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';

const MAX_ARGS = 32;
const MAX_ARG_LEN = 128;

export interface SlowlogEntry {
  id: number;
  time: number; // unix seconds
  micros: number;
  args: string[];
  peer: string;
  clientName: string;
}

export class Slowlog {
  entries: SlowlogEntry[] = [];
  private nextId = 0;
  maxLen = 128;

  constructor(private readonly clock: Clock) {}

  add(args: CommandArgs, micros: number, client: { addr: string; name: string }): void {
    if (this.maxLen === 0) return;
    const out: string[] = [];
    const n = Math.min(args.argc, MAX_ARGS);
    for (let i = 0; i < n; i++) {
      if (i === MAX_ARGS - 1 && args.argc > MAX_ARGS) {
        out.push(`... (${args.argc - MAX_ARGS + 1} more arguments)`);
        break;
      }
      const len = args.end[i] - args.start[i];
      if (len > MAX_ARG_LEN) {
        out.push(`${latin1(args.buf, args.start[i], args.start[i] + MAX_ARG_LEN)}... (${len - MAX_ARG_LEN} more bytes)`);
      } else {
        out.push(latin1(args.buf, args.start[i], args.end[i]));
      }
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(this.clock.now() / 1000),
      micros: Math.floor(micros),
      args: out,
      peer: client.addr,
      clientName: client.name,
    });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}
