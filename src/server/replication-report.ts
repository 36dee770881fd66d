// What clients see of a node's replication: INFO's replication section and ROLE's reply, from
// the role, the source's replicas and backlog (primary) or the link to the primary (replica),
// with Redis's field names and values.

import type { ReplicationLink } from '../cluster/replication/link.js';
import type { ReplicationSource } from '../cluster/replication/source.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Config } from './config.js';

/** What the reports read of the node's replication (NodeReplication implements it). */
export interface ReportedReplication {
  readonly role: 'master' | 'slave';
  readonly masterHost: string;
  readonly masterPort: number;
  readonly source: ReplicationSource | null;
  /** Set while a replica (role slave). */
  readonly link: ReplicationLink | null;
  readonly replid: string;
  readonly offset: number;
}

/** INFO's replication section. */
export function replicationInfo(repl: ReportedReplication, config: Config): string {
  const lines: string[] = [];
  const s = repl.source;
  if (repl.role === 'master') {
    lines.push('role:master');
    const replicas = s?.replicas ?? [];
    lines.push(`connected_slaves:${replicas.length}`);
    replicas.forEach((r, i) => {
      const state = r.state === 'online' ? 'online' : r.state;
      const lag = r.state === 'online' ? Math.floor((Date.now() - r.ackAt) / 1000) : 0;
      lines.push(`slave${i}:ip=${r.conn.ip},port=${r.listeningPort},state=${state},offset=${r.ackOffset},lag=${lag}`);
    });
  } else {
    const link = repl.link!;
    lines.push('role:slave');
    lines.push(`master_host:${repl.masterHost}`);
    lines.push(`master_port:${repl.masterPort}`);
    lines.push(`master_link_status:${link.up ? 'up' : 'down'}`);
    lines.push(`master_last_io_seconds_ago:${link.lastIoAt === 0 ? -1 : Math.floor((Date.now() - link.lastIoAt) / 1000)}`);
    lines.push(`master_sync_in_progress:${link.state === 'sync' ? 1 : 0}`);
    lines.push(`slave_read_repl_offset:${Math.max(0, link.offset)}`);
    lines.push(`slave_repl_offset:${Math.max(0, link.offset)}`);
    if (link.state === 'sync') {
      lines.push(`master_sync_total_bytes:-1`);
      lines.push(`master_sync_read_bytes:0`);
      lines.push(`master_sync_left_bytes:-1`);
      lines.push(`master_sync_perc:0.00`);
      lines.push(`master_sync_last_io_seconds_ago:${Math.floor((Date.now() - link.lastIoAt) / 1000)}`);
    }
    if (!link.up) lines.push(`master_link_down_since_seconds:${Math.floor((Date.now() - link.downSince) / 1000)}`);
    lines.push('slave_priority:100');
    lines.push(`slave_read_only:${config.get('replica-read-only') === true ? 1 : 0}`);
    lines.push('replica_announced:1');
    lines.push('connected_slaves:0');
  }
  lines.push('master_failover_state:no-failover');
  lines.push(`master_replid:${repl.replid}`);
  lines.push(`master_replid2:${s?.replid2 ?? '0000000000000000000000000000000000000000'}`);
  lines.push(`master_repl_offset:${repl.offset}`);
  lines.push(`second_repl_offset:${s?.secondReplOffset ?? -1}`);
  lines.push(`repl_backlog_active:${s === null ? 0 : 1}`);
  lines.push(`repl_backlog_size:${s?.backlog.size ?? config.int('repl-backlog-size')}`);
  lines.push(`repl_backlog_first_byte_offset:${s === null ? 0 : s.backlog.firstOffset}`);
  lines.push(`repl_backlog_histlen:${s?.backlog.histlen ?? 0}`);
  return lines.join('\r\n') + '\r\n';
}

/** ROLE's reply. */
export function writeRole(w: ReplyWriter, repl: ReportedReplication): void {
  if (repl.role === 'master') {
    const replicas = repl.source?.replicas.filter((r) => r.state === 'online') ?? [];
    w.array(3);
    w.bulk('master');
    w.integer(repl.offset);
    w.array(replicas.length);
    for (const r of replicas) {
      w.array(3);
      w.bulk(r.conn.ip);
      w.bulk(String(r.listeningPort));
      w.bulk(String(r.ackOffset));
    }
    return;
  }
  const link = repl.link!;
  w.array(5);
  w.bulk('slave');
  w.bulk(repl.masterHost);
  w.integer(repl.masterPort);
  w.bulk(link.state === 'connecting' ? 'connecting' : link.state === 'handshake' ? 'handshake' : link.state === 'sync' ? 'sync' : link.state === 'connected' ? 'connected' : 'connect');
  w.integer(link.state === 'connected' ? Math.max(0, link.offset) : -1);
}
