// The node's log records about misbehaving clients: client.limit (output buffer, query buffer,
// maxclients) and client.protocol_error. Each names the client (id, address, name, user) and the
// reason, never what it sent (util/log.ts), and they are capped at 20 a second so that a client
// cannot flood the log; the next record says how many were left out.

import { EventThrottle, clientFields, safeProtocolReason, type Logger } from '../util/log.js';
import type { Client } from './client.js';

export type ClientEventKind = 'output-buffer' | 'query-buffer' | 'maxclients' | null;

export class ClientEvents {
  private readonly throttle = new EventThrottle(20);

  constructor(
    private readonly logger: Logger,
    private readonly maxclients: () => number,
  ) {}

  /** kind null: a protocol error (`error` its reason); else the limit the client hit. */
  log(client: Client | { addr: string }, kind: ClientEventKind, error = ''): void {
    const suppressed = this.throttle.allow();
    if (suppressed < 0) return;
    const who = clientFields(client);
    const more = suppressed > 0 ? { suppressed } : undefined;
    if (kind === null) {
      const reason = safeProtocolReason(error);
      this.logger.info({ event: 'client.protocol_error', ...who, error: reason, ...more }, `closing client id=${who.id} addr=${who.addr}: ${reason}`);
    } else if (kind === 'maxclients') {
      this.logger.warn({ event: 'client.limit', kind, ...who, maxclients: this.maxclients(), ...more }, `refused a connection from ${who.addr}: max number of clients reached`);
    } else {
      const what = kind === 'output-buffer' ? 'closed for overcoming of output buffer limits' : 'closed: it reached max query buffer length';
      this.logger.warn({ event: 'client.limit', kind, ...who, ...more }, `client id=${who.id} addr=${who.addr} ${what}`);
    }
  }
}
