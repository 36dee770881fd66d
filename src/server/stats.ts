// The node's counters: commands processed, connections, rejections, network bytes, the ops/sec
// samples and INFO errorstats's error replies by code. Written by the node and the dispatcher,
// read by INFO and reset by CONFIG RESETSTAT.

export class NodeStats {
  commandsProcessed = 0;
  connectionsReceived = 0;
  rejectedConnections = 0;
  rejectedCalls = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  /** Ring of (time, commandsProcessed) samples for instantaneous_ops_per_sec. */
  samples: Array<[number, number]> = [];
  startedAt = Date.now();
  /** Error replies by code (INFO errorstats), at most ERROR_CODES_MAX codes; and all of them. */
  readonly errorCodes = new Map<string, number>();
  totalErrorReplies = 0;
  /** The next error reply is one already counted (a script's error raised by redis.call). */
  errorCounted = false;

  /** Counts an error reply by its code (Redis's afterErrorReply): the word after '-', or ERR. */
  countError(buf: Buffer, at: number, end: number): void {
    this.totalErrorReplies++;
    let code = 'ERR';
    const limit = Math.min(end, at + 32);
    for (let i = at + 1; i < limit; i++) {
      if (buf[i] === 32) {
        code = buf.toString('latin1', at + 1, i);
        break;
      }
    }
    const n = this.errorCodes.get(code);
    if (n !== undefined) this.errorCodes.set(code, n + 1);
    else if (this.errorCodes.size < ERROR_CODES_MAX) this.errorCodes.set(code, 1);
  }
}

/** Distinct error codes INFO errorstats tracks, as Redis's ERROR_STATS_NUMBER (a client cannot grow it). */
const ERROR_CODES_MAX = 128;
