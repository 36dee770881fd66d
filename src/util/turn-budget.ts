// A budget of event-loop time per turn for the bulk streams a node applies (a slot import, a
// replica's stream from its primary), so that applying them never holds the loop for long.
//
// Why it is needed: when a stream arrives faster than the node applies it, libuv reads the socket
// up to 32 times (64 KB each) in one poll, and each read's commands run before the loop gets on:
// up to 2 MB of HSETs in one turn, tens to hundreds of milliseconds in which no client is
// answered. With a budget the link's reader, once the turn has spent `ms` on streams, pauses its
// socket and resumes it at the end of the turn (setImmediate: after this poll's other callbacks,
// before the next poll), so clients' commands interleave with the stream at a bounded delay. The
// stream loses nothing: paused bytes wait in the kernel (or the socket's buffer).

function performanceNow(): number {
  return performance.now();
}

export class TurnBudget {
  /** When the first stream read of this turn started (performance.now()). */
  private turnStart = 0;
  private inTurn = false;
  private readonly resumes: Array<() => void> = [];

  /** `now` is the clock in milliseconds (injected by tests; performance.now() in a node). */
  constructor(
    private readonly ms: number,
    private readonly now: () => number = performanceNow,
  ) {}

  /** Called as a stream read starts being applied. */
  enter(): void {
    if (this.inTurn) return;
    this.inTurn = true;
    this.turnStart = this.now();
    setImmediate(this.endTurn);
  }

  /** Whether this turn's budget is spent (the caller then pauses and calls resumeLater). */
  spent(): boolean {
    return this.now() - this.turnStart > this.ms;
  }

  /** Runs `resume` at the end of this turn. */
  resumeLater(resume: () => void): void {
    this.resumes.push(resume);
  }

  private readonly endTurn = (): void => {
    this.inTurn = false;
    const resumes = this.resumes.splice(0);
    for (const resume of resumes) resume();
  };
}

/** The budget every bulk stream of a node shares (one event loop per process). */
export const streamBudget = new TurnBudget(4);
