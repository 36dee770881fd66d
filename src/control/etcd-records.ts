// The etcd coordinator's records (etcd-coordinator.ts), read from the values under its keys: member
// records, the controller record (the member plus the lease it hangs on), and the equality that
// says a record is a given member's. Pure: no etcd calls.

import type { IKeyValue } from 'etcd3';
import type { MemberRecord } from './coordinator.js';
import { memberFromJson } from './coordinator-shared.js';

/** What the controller key holds: the member and the lease it hangs on. */
export interface ControllerValue extends MemberRecord {
  lease: string;
}

export function controllerFromJson(text: string): ControllerValue | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const m = memberFromJson(v);
    return m === null || typeof v.lease !== 'string' ? null : { ...m, lease: v.lease };
  } catch {
    return null;
  }
}

export const sameMember = (a: MemberRecord, b: MemberRecord): boolean => a.id === b.id && a.runId === b.runId;
export const text = (kv: IKeyValue): string => kv.value.toString('utf8');

/** The valid member records among the values, by id. */
export function membersOf(values: string[]): MemberRecord[] {
  const out: MemberRecord[] = [];
  for (const v of values) {
    const m = memberFromJson(v);
    if (m !== null) out.push(m);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The controller record's member, or null if the value is not a controller record. */
export function controllerMember(value: string): MemberRecord | null {
  return controllerFromJson(value) === null ? null : memberFromJson(value);
}
