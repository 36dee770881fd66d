// The etcd coordinator's lease (etcd-coordinator.ts grants it): kept alive over its own
// LeaseKeepAlive stream.
//
// A request every ttl/3. Responses come back in request order on a stream, so each one confirms
// the oldest request still unanswered: its send time is lastConfirmedSentAt(). TTL 0 in a response
// means the lease is gone (onLost). A stream that errors, ends or leaves a request unanswered for
// a whole ttl is dropped and reopened at the next tick; failures to reach etcd are never taken for
// a loss (etcd restores leases when it restarts).

import { performance } from 'node:perf_hooks';
import { EtcdLeaseInvalidError, type Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse } from 'etcd3';
import type { CoordinatorLease } from './coordinator.js';

/** A lease kept alive over its own LeaseKeepAlive stream (see the header). */
export class EtcdLease implements CoordinatorLease {
  onLost: (() => void) | null = null;
  private confirmedSentAt: number;
  private stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> | null = null;
  /** Send times of the requests on the current stream not answered yet, oldest first. */
  private unanswered: number[] = [];
  private opening = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: Etcd3,
    readonly id: string,
    readonly ttlMs: number,
    grantSentAt: number,
    private readonly onClose: (l: EtcdLease) => void,
  ) {
    this.confirmedSentAt = grantSentAt;
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(ttlMs / 3)));
  }

  lastConfirmedSentAt(): number {
    return this.confirmedSentAt;
  }

  private tick(): void {
    if (this.stopped) return;
    const oldest = this.unanswered[0];
    if (oldest !== undefined && performance.now() - oldest > this.ttlMs) this.drop(); // a stuck stream
    if (this.stream !== null) return this.send(this.stream);
    if (this.opening) return;
    this.opening = true;
    this.client.leaseClient.leaseKeepAlive().then(
      (stream) => {
        this.opening = false;
        if (this.stopped) return stream.end();
        this.stream = stream;
        this.unanswered = [];
        stream.on('data', (res) => this.onResponse(stream, res));
        stream.on('error', () => this.drop(stream));
        stream.on('end', () => this.drop(stream));
        this.send(stream);
      },
      () => {
        this.opening = false; // etcd away: the next tick tries again
      },
    );
  }

  private send(stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>): void {
    this.unanswered.push(performance.now());
    try {
      stream.write({ ID: this.id });
    } catch {
      this.drop(stream);
    }
  }

  private onResponse(stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>, res: ILeaseKeepAliveResponse): void {
    if (stream !== this.stream) return;
    const sentAt = this.unanswered.shift();
    if (res.TTL === '0') return this.lost();
    if (sentAt !== undefined && sentAt > this.confirmedSentAt) this.confirmedSentAt = sentAt;
  }

  private drop(stream = this.stream): void {
    if (stream === null || stream !== this.stream) return;
    this.stream = null;
    this.unanswered = [];
    try {
      stream.cancel();
    } catch {
      // already gone
    }
  }

  /** etcd says the lease is gone: stop, and tell the holder once. */
  lost(): void {
    if (this.stopped) return;
    this.close();
    this.onLost?.();
  }

  /** Stops the keep-alives; the lease lapses ttl after the last one etcd received. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.drop();
    this.onClose(this);
  }

  /** Stops the keep-alives and ends the lease now (its records go with it). */
  async revoke(): Promise<void> {
    this.close();
    await this.client.leaseClient.leaseRevoke({ ID: this.id }).catch((err: unknown) => {
      if (!(err instanceof EtcdLeaseInvalidError)) throw err;
    });
  }
}
