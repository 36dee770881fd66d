// One timer for every slot export of a node (slot-export.ts), instead of one per export.
//
// A move copies a batch of slots at once (32 by default), each slot through its own export,
// all sharing the node's byte throttle (byte-throttle.ts). With a timer each, every export whose
// copy the throttle held back polled it again a millisecond later: at 16 MB/s one export in
// thirty got bytes each time, and the source ran ~30,000 timer callbacks a second (a Timeout
// object each) to find that out.
//
// Here an export that has work asks for a step (want); the pacer keeps the exports that asked in
// a FIFO and, on its one timer, gives each a step in turn: an export that ran and wants more goes
// to the back (so the copy rotates over the batch's slots and big keys' pieces cannot starve the
// rest). A step whose work is throttled (the copy, and big keys' pieces outside a switch's pause)
// is given only while the throttle allows; once it refuses, the round passes over throttled
// exports without asking them, and still runs the unthrottled ones (marks, big keys during a
// switch's pause), which must not wait behind the copy. The next round comes after a millisecond,
// or, when only throttled exports wait, when the throttle will have bytes again.
//
// A round has a time budget (ROUND_MS): each step is told the round's deadline (an export stops
// its big keys' pieces there, after one piece at least), and once it has passed, the exports not
// reached yet wait for the next round, ahead of the ones that asked again. Without it, a switch's
// pause, which runs big keys' pieces unthrottled, gave every export of the batch up to 512 KB of
// encoding in one round: rounds of 15-60 ms (bench/bigkey-bench.ts).
//
// Measured (docs/benchmarks.md, "Batch size, one timer for the exports"): no change in a move's
// p99 or the source's CPU beyond the runs' spread; the callbacks were cheaper than they looked.
// Kept for the fewer timers and the round-robin order.

/** What the pacer steps: a slot export. */
export interface PacedExport {
  /** Whether the next step's work is throttled (the copy, or big keys outside a switch). */
  readonly throttledWork: boolean;
  /**
   * Runs one step, stopping its unbounded work (big keys' pieces) at `deadline` (performance.now()
   * time) once it did some; returns whether the export wants another.
   */
  step(deadline: number): boolean;
}

/** What the pacer asks of the node's throttle. */
export interface PacerThrottle {
  allows(): boolean;
  /** Milliseconds until allows() can be true again (0: now). */
  waitMs(): number;
}

export type PacerTimer = (run: () => void, ms: number) => unknown;

/** The longest wait for the throttle (a rate lowered meanwhile is read at the next round). */
const MAX_WAIT_MS = 50;
/** A round's time: steps after it wait for the next round (a millisecond later). */
export const ROUND_MS = 2;

function performanceNow(): number {
  return performance.now();
}

export class ExportPacer {
  /** The exports that asked for a step, in order; `queued` says which are in it. */
  private queue: PacedExport[] = [];
  private readonly queued = new Set<PacedExport>();
  /** During a round: the exports that asked again (they go after the ones the round skipped). */
  private later: PacedExport[] | null = null;
  private armed = false;
  private readonly runBound = (): void => this.run();

  constructor(
    private readonly throttle: PacerThrottle,
    private readonly setTimer: PacerTimer = (run, ms) => setTimeout(run, ms),
    private readonly now: () => number = performanceNow,
  ) {}

  /** Exports waiting for a step. */
  get waiting(): number {
    return this.queued.size;
  }

  /** `e` has work: it gets a step on a later round (once, however often it asks meanwhile). */
  want(e: PacedExport): void {
    if (this.queued.has(e)) return;
    this.queued.add(e);
    if (this.later !== null) {
      this.later.push(e);
      return;
    }
    this.queue.push(e);
    this.arm(1);
  }

  /** `e` closed: no more steps. */
  forget(e: PacedExport): void {
    this.queued.delete(e);
  }

  private arm(ms: number): void {
    if (this.armed) return;
    this.armed = true;
    this.setTimer(this.runBound, ms);
  }

  /**
   * One round: each export queued when it began gets at most one step. Bytes come back to the
   * throttle only with time, so once it refuses it refuses for the rest of the round.
   */
  private run(): void {
    this.armed = false;
    const round = this.queue;
    const skipped: PacedExport[] = [];
    const later: PacedExport[] = [];
    this.queue = skipped;
    this.later = later;
    const deadline = this.now() + ROUND_MS;
    let denied = false;
    let ran = false;
    try {
      for (let i = 0; i < round.length; i++) {
        const e = round[i];
        if (!this.queued.has(e)) continue; // forgotten (closed)
        if (ran && this.now() >= deadline) {
          // The round's time is spent: the rest keep their places for the next round.
          for (let k = i; k < round.length; k++) if (this.queued.has(round[k])) skipped.push(round[k]);
          break;
        }
        if (e.throttledWork && (denied || !this.throttle.allows())) {
          denied = true;
          skipped.push(e);
          continue;
        }
        ran = true;
        this.queued.delete(e);
        if (e.step(deadline)) this.want(e);
      }
    } finally {
      this.later = null;
      for (let i = 0; i < later.length; i++) skipped.push(later[i]);
    }
    if (skipped.length === 0) return;
    this.arm(ran ? 1 : Math.min(MAX_WAIT_MS, Math.max(1, Math.ceil(this.throttle.waitMs()))));
  }
}
