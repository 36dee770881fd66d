// The client's typed errors. Every failure a caller can see is a CorralError with a stable
// `code` string (switch on the code, not on the message or class, across package versions).

export class CorralError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command got no reply within commandTimeout (it may still have run on the server). */
export class TimeoutError extends CorralError {
  constructor(message: string) {
    super('E_TIMEOUT', message);
  }
}

/** The node could not be reached, or the connection was lost before the reply (after retries). */
export class ConnectionError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONNECTION', message, options);
  }
}

/** The server replied with an error (WRONGTYPE, ERR ...). `message` is the server's text. */
export class ReplyError extends CorralError {
  /** The error's first word, e.g. 'WRONGTYPE', 'ERR', 'NOAUTH'. */
  readonly prefix: string;
  constructor(message: string) {
    super('E_REPLY', message);
    const sp = message.indexOf(' ');
    this.prefix = sp < 0 ? message : message.slice(0, sp);
  }
}

/** The cluster kept answering CLUSTERDOWN after the retries. */
export class ClusterDownError extends CorralError {
  constructor(message: string) {
    super('E_CLUSTER_DOWN', message);
  }
}

/** More MOVED/ASK redirects than maxRedirects for one command. */
export class TooManyRedirectsError extends CorralError {
  constructor(message: string) {
    super('E_REDIRECTS', message);
  }
}

/** A command was issued while disconnected and the offline queue was already full. */
export class OfflineQueueFullError extends CorralError {
  constructor(limit: number) {
    super('E_OFFLINE_QUEUE_FULL', `offline queue is full (${limit} commands waiting for a connection)`);
  }
}

/** The client was closed (before or while the command was pending). */
export class ClientClosedError extends CorralError {
  constructor() {
    super('E_CLIENT_CLOSED', 'the client is closed');
  }
}
