// A budget of event-loop time per turn for the bulk streams a node applies (a slot import, a
// replica's stream from its primary), so that applying them never holds the loop for long.
//
// Why it is needed: when a stream arrives faster than the node applies it, libuv reads the socket
// up to 32 times (64 KB each) in one poll, and each read's commands run before the loop gets on:
// up to 2 MB of HSETs in one turn, tens to hundreds of milliseconds in which no client is
// answered. With a budget the link's reader, once the turn (one iteration of the loop) has spent
// `ms` on streams, pauses its socket and resumes it in the check phase of the next turn
// (setImmediate: after that turn's poll has answered clients), so clients' commands interleave
// with the stream at a bounded delay. The stream loses nothing: paused bytes wait in the kernel
// (or the socket's buffer).
//
// The budget is checked after each command, not only after each read: one 64 KB read of a big
// hash's pieces is ~3,000 fields, 10-15 ms of inserts into a table of a million on this VM, so a
// read-sized step alone held the loop past 10 ms. A stream that stops mid-read keeps the read's
// rest in its parser (RequestParser.preserve) and applies it at the end of a turn whose budget
// is not spent, before its socket is resumed (BudgetedStream).

function performanceNow(): number {
  return performance.now();
}

/** Bytes of commands between two looks at the clock (spentAfter). */
const CHECK_BYTES = 4096;

export class TurnBudget {
  /** When this iteration's window of stream work opened (performance.now()). */
  private windowStart = 0;
  /** A stream applied commands in this iteration of the loop (closed by endTurn, in its check phase). */
  private inWindow = false;
  /** endTurn is queued (setImmediate). */
  private endQueued = false;
  /** Bytes applied since spentAfter last read the clock. */
  private unchecked = 0;
  private readonly resumes: Array<() => void> = [];

  /** `now` is the clock in milliseconds (injected by tests; performance.now() in a node). */
  constructor(
    private readonly ms: number,
    private readonly now: () => number = performanceNow,
  ) {}

  /** Called as a stream read (or a resume) starts being applied. */
  enter(): void {
    if (!this.inWindow) {
      this.inWindow = true;
      this.windowStart = this.now();
    }
    if (!this.endQueued) {
      this.endQueued = true;
      setImmediate(this.endTurn);
    }
  }

  /** Whether this turn's budget is spent (the caller then pauses and calls resumeLater). */
  spent(): boolean {
    return this.now() - this.windowStart > this.ms;
  }

  /**
   * After a command of `bytes` bytes: spent(), asked of the clock only once CHECK_BYTES were
   * applied since it last was, so a stream of small commands (a replica's SETs) does not read the
   * clock for each, while a big one (a big key's piece, ~5 KB) is followed by a look at once.
   */
  spentAfter(bytes: number): boolean {
    this.unchecked += bytes;
    if (this.unchecked < CHECK_BYTES) return false;
    this.unchecked = 0;
    return this.spent();
  }

  /** Runs `resume` at the end of this turn, or of the next one if this one's budget is spent. */
  resumeLater(resume: () => void): void {
    this.resumes.push(resume);
  }

  /*
   * One window of `ms` per iteration of the loop, shared by the poll phase (stream reads) and the
   * check phase (this callback, where paused streams resume). Were the check phase given a fresh
   * window, an iteration whose poll spent its budget would run twice the budget before the next
   * poll answers a client. So when this iteration's window is spent, the waiting streams resume
   * in the next iteration's check phase (a setImmediate queued from a check callback runs in the
   * next iteration, after its timers and poll), within that iteration's window.
   */
  private readonly endTurn = (): void => {
    this.endQueued = false;
    if (this.resumes.length === 0) {
      this.inWindow = false;
      return;
    }
    if (this.inWindow && this.spent()) {
      this.inWindow = false;
      this.endQueued = true;
      setImmediate(this.endTurn);
      return;
    }
    if (!this.inWindow) {
      this.inWindow = true;
      this.windowStart = this.now();
    }
    const resumes = this.resumes.splice(0);
    for (const resume of resumes) resume();
    this.inWindow = false;
  };
}

/** The budget every bulk stream of a node shares (one event loop per process). */
export const streamBudget = new TurnBudget(4);

/** What a BudgetedStream pauses and resumes: its socket. */
export interface PausableSource {
  pause(): unknown;
  resume(): unknown;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * One stream socket's reads, applied within a turn budget. `apply(chunk, length)` applies a read
 * (length 0: only what an earlier call left over) and returns true when it stopped because the
 * budget was spent with commands still to apply (it keeps them); `live()` says whether the
 * stream is still this socket's (a stream that failed or reconnected stops here), `mayResume()`
 * whether reading may go on (a replica link held by a test may not).
 */
export class BudgetedStream {
  constructor(
    private readonly socket: PausableSource,
    private readonly apply: (chunk: Buffer, length: number) => boolean,
    private readonly live: () => boolean,
    private readonly mayResume: () => boolean = () => true,
    private readonly budget: TurnBudget = streamBudget,
  ) {}

  /** A read of `length` bytes of `chunk` (a buffer the next read reuses). */
  read(chunk: Buffer, length: number): void {
    this.budget.enter();
    const left = this.apply(chunk, length);
    if (this.live() && (left || this.budget.spent())) this.pauseForTurn();
  }

  /** Applies what is left, then reads again (unless mayResume says not yet). */
  readonly resume = (): void => {
    if (!this.live() || !this.mayResume()) return;
    this.budget.enter();
    if (this.apply(NO_BYTES, 0)) {
      if (this.live()) this.budget.resumeLater(this.resume);
      return;
    }
    if (this.live()) this.socket.resume();
  };

  private pauseForTurn(): void {
    this.socket.pause();
    this.budget.resumeLater(this.resume);
  }
}
