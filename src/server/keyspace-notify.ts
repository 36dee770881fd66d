// Keyspace notifications (Redis 7.0's notify.c): the events commands raise (CommandContext.notify)
// and the store's own (new, expired, evicted, keymiss: Keyspace.keyEvents) published as
// `__keyspace@<db>__:<key>` messages carrying the event (K) and `__keyevent@<db>__:<event>`
// messages carrying the key (E), through the node's pub/sub (server/pubsub.ts, which writes the
// RESP2/RESP3 frames). As Redis, they reach this node's subscribers only: not the other nodes of
// a cluster (notify.c publishes locally), nor replicas (which raise their own as they apply the
// stream). Nothing is published while a replica loads a full copy (Redis loads an RDB silently).
//
// Cost: with notify-keyspace-events empty (the default) or without K and E, the context's flags
// are 0 and the store's hook null, so a command pays one integer test per event point.

import type { CommandContext } from '../commands/context.js';
import {
  NOTIFY_EVICTED,
  NOTIFY_EXPIRED,
  NOTIFY_KEYEVENT,
  NOTIFY_KEYSPACE,
  NOTIFY_KEY_MISS,
  NOTIFY_NEW,
  activeKeyspaceFlags,
  keyspaceEventsStringToFlags,
  type KeyspaceEventSink,
} from '../commands/keyspace-events.js';
import { KEY_EVENT_EVICTED, KEY_EVENT_EXPIRED, KEY_EVENT_MISS, KEY_EVENT_NEW } from '../store/keyspace.js';
import type { Client } from './client.js';
import type { ServerApi } from './server-api.js';

/** What keyspace notifications need of their node (CorralNode implements it). */
export interface NotifierHost extends Pick<ServerApi, 'store' | 'pubsub' | 'replication' | 'writer'> {
  readonly ctx: CommandContext;
}

/** The class and name of each store event, by KEY_EVENT_ constant. */
const STORE_EVENT_CLASS: number[] = [];
const STORE_EVENT_NAME: string[] = [];
STORE_EVENT_CLASS[KEY_EVENT_NEW] = NOTIFY_NEW;
STORE_EVENT_NAME[KEY_EVENT_NEW] = 'new';
STORE_EVENT_CLASS[KEY_EVENT_EXPIRED] = NOTIFY_EXPIRED;
STORE_EVENT_NAME[KEY_EVENT_EXPIRED] = 'expired';
STORE_EVENT_CLASS[KEY_EVENT_EVICTED] = NOTIFY_EVICTED;
STORE_EVENT_NAME[KEY_EVENT_EVICTED] = 'evicted';
STORE_EVENT_CLASS[KEY_EVENT_MISS] = NOTIFY_KEY_MISS;
STORE_EVENT_NAME[KEY_EVENT_MISS] = 'keymiss';

const STORE_CLASSES = NOTIFY_NEW | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_KEY_MISS;

export class KeyspaceNotifier implements KeyspaceEventSink {
  /** The classes published (0: none), as CommandContext.notifyFlags. */
  private flags = 0;

  constructor(private readonly node: NotifierHost) {}

  /** Applies notify-keyspace-events (its canonical string, as Config holds it). */
  configure(value: string): void {
    const flags = activeKeyspaceFlags(Math.max(0, keyspaceEventsStringToFlags(value)));
    this.flags = flags;
    const ctx = this.node.ctx;
    ctx.notifyFlags = flags;
    ctx.events = flags === 0 ? null : this;
    this.node.store.keyEvents = (flags & STORE_CLASSES) !== 0 ? this.storeEvent : null;
  }

  /**
   * An event a command raised: the client running it gets its own message (RESP3) in its reply
   * stream at this point, as Redis adds it to the client's buffer.
   */
  keyspaceEvent(_type: number, event: string, key: string, db: number): void {
    this.publish(event, key, db, this.node.ctx.client as Client);
  }

  /**
   * An event of the store's. Queued for every subscriber (the running client's goes before its
   * replies of this turn): an expiry or eviction may happen outside any command.
   */
  private readonly storeEvent = (db: number, event: number, key: string): void => {
    if ((this.flags & STORE_EVENT_CLASS[event]) !== 0) this.publish(STORE_EVENT_NAME[event], key, db, null);
  };

  private publish(event: string, key: string, db: number, self: Client | null): void {
    const node = this.node;
    const pubsub = node.pubsub;
    if ((pubsub.channels.size === 0 && pubsub.patterns.size === 0) || node.replication.loading) return;
    const w = node.writer;
    if (this.flags & NOTIFY_KEYSPACE) {
      pubsub.publish(Buffer.from(`__keyspace@${db}__:${key}`, 'latin1'), Buffer.from(event, 'latin1'), false, self, w);
    }
    if (this.flags & NOTIFY_KEYEVENT) {
      pubsub.publish(Buffer.from(`__keyevent@${db}__:${event}`, 'latin1'), Buffer.from(key, 'latin1'), false, self, w);
    }
  }
}
