// allkeys-tinylfu's hill climber: sizes the window (the LRU that takes new keys) against the main
// space, as Caffeine does, with a noise test added. Pure arithmetic on hit/miss counts; tinylfu.ts
// feeds it events and applies the moves.
//
// Algorithm (Caffeine's BoundedLocalCache.climb): events are counted in samples. At the end of
// each sample its hit rate is compared with the previous sample's. If it is at least as good, the
// window moves again by the current step in the same direction; if it is worse, the move is
// reversed; either way the step then decays (x `decay`), so the window settles. A change of the
// hit rate by `restartThreshold` or more (the workload changed) resets the step to its initial
// size, keeping the direction just taken. The first move shrinks the window.
//
// Noise test (not in Caffeine): a change smaller than `tolerance` standard errors is noise, and
// the window holds (a restart too must pass it). Measured on the hit-ratio traces (bench/tinylfu-sim.ts), Caffeine's rule
// alone random-walks: near the 1% start the hit rate barely depends on the window (< 0.05 points
// per point of window on Zipf), much less than a sample's noise, and every wander costs. The
// standard error comes from batch means: a sample is `batches` batches, and the variance of the
// sample's rate is the variance of the batch rates / batches (or the binomial r(1 - r) / n if
// larger), so workloads whose hit rate swings on their own (a loop, periodic scans) need a larger
// change to move the window than independent requests do.
//
// The event stream is what the policy sees: an access to a tracked key is a hit, a key added is
// a miss (in a cache-aside workload every miss is followed by the SET that adds the key). Writes
// to keys already held count as hits and GET misses never followed by a SET are not seen, so the
// rate is the policy's estimate of the hit ratio, not INFO's keyspace_hits ratio.

export interface ClimberOptions {
  /** The initial step, a share of the budget (Caffeine: 0.0625). */
  initialStep: number;
  /** Step decay per move (Caffeine: 0.98). */
  decay: number;
  /** A hit-rate change (absolute) at least this large restarts the step (Caffeine: 0.05). */
  restartThreshold: number;
  /** Changes below this many standard errors are noise: the window holds (0: none, as Caffeine). */
  tolerance: number;
  /** Batches per sample, for the standard error (1: binomial only). */
  batches: number;
}

export const DEFAULT_CLIMBER: ClimberOptions = { initialStep: 0.0625, decay: 0.98, restartThreshold: 0.05, tolerance: 3, batches: 20 };

export class HillClimber {
  /** The current batch's hits and misses (the caller counts them). */
  hits = 0;
  misses = 0;
  /** Samples completed since the last restart. */
  samples = 0;
  private batchCount = 0;
  private batchSum = 0;
  private batchSumSq = 0;
  private sampleHits = 0;
  private sampleEvents = 0;
  private previousRate = 0;
  /** The previous sample's rate variance. */
  private previousVariance = 0;
  /** The next move if the hit rate holds: signed, a share of the budget. */
  private step: number;

  constructor(readonly options: ClimberOptions = DEFAULT_CLIMBER) {
    this.step = -options.initialStep;
  }

  /** Events in the current batch. */
  get events(): number {
    return this.hits + this.misses;
  }

  /** The current step (signed share of the budget), for tests and the simulator. */
  get stepShare(): number {
    return this.step;
  }

  /** Ends a batch; returns whether that completes the sample (then call adjust()). */
  endBatch(): boolean {
    const n = this.hits + this.misses;
    if (n > 0) {
      const r = this.hits / n;
      this.batchCount++;
      this.batchSum += r;
      this.batchSumSq += r * r;
      this.sampleHits += this.hits;
      this.sampleEvents += n;
    }
    this.hits = 0;
    this.misses = 0;
    return this.batchCount >= this.options.batches;
  }

  /** Ends a sample (and its last batch): returns the move to apply to the window share (signed). */
  adjust(): number {
    if (this.hits + this.misses > 0) this.endBatch();
    const o = this.options;
    const n = this.sampleEvents;
    const rate = n === 0 ? 0 : this.sampleHits / n;
    let variance = n === 0 ? 0 : (rate * (1 - rate)) / n;
    const k = this.batchCount;
    if (k >= 2) {
      const mean = this.batchSum / k;
      variance = Math.max(variance, Math.max(0, this.batchSumSq - k * mean * mean) / (k - 1) / k);
    }
    const change = rate - this.previousRate;
    const significant = this.samples === 0 || Math.abs(change) >= o.tolerance * Math.sqrt(variance + this.previousVariance);
    this.previousRate = rate;
    this.previousVariance = variance;
    let move = 0;
    if (significant) {
      move = change >= 0 ? this.step : -this.step;
      if (Math.abs(change) >= o.restartThreshold) this.step = move >= 0 ? o.initialStep : -o.initialStep;
      else this.step = o.decay * move;
    }
    this.clearSample();
    this.samples++;
    return move;
  }

  /** Forgets all history (a new budget, or the cache just filled up). */
  restart(): void {
    this.clearSample();
    this.samples = 0;
    this.previousRate = 0;
    this.previousVariance = 0;
    this.step = -this.options.initialStep;
  }

  private clearSample(): void {
    this.hits = 0;
    this.misses = 0;
    this.batchCount = 0;
    this.batchSum = 0;
    this.batchSumSq = 0;
    this.sampleHits = 0;
    this.sampleEvents = 0;
  }
}
