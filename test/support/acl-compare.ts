// Test support for the ACL system tests (test/system/compat-acl*.test.ts): the same commands
// on corral and a real redis-server, replies compared byte for byte after masking what differs
// by nature (client ids, ACL LOG ages and client lines) and sorting the runs of single-command
// rules, whose order in Redis follows a per-process random hash seed.

import assert from 'node:assert/strict';
import { transcripts } from './servers.js';
import { splitCommands, type Cmd } from './compare.js';

/** Sorts each run of single-command rules ("+get +set -hget"): Redis's order for them is random. */
export function normalizeRules(text: string): string {
  return text.replace(/[+-][a-z][^ @\r\n()]*(?: [+-][a-z][^ @\r\n()]*)+/g, (run) => run.split(' ').sort().join(' '));
}

/** Client ids (HELLO's id field) differ between the servers. */
export function maskIds(text: string): string {
  return text.replace(/(\$2\r\nid\r\n):\d+/g, '$1:ID');
}

/** ACL LOG's varying parts: the age and the client's CLIENT LIST line. */
export function maskLog(text: string): string {
  return text.replace(/(age-seconds\r\n)(?:\$\d+\r\n|,)[^\r]*\r\n/g, '$1AGE\r\n').replace(/\$\d+\r\nid=[^\r]*\r\n/g, '$CLIENT\r\n');
}

export interface AclComparer {
  /** Runs cmds on both servers (one connection each, after each setup) and compares every reply. */
  sameWith(cmds: Cmd[], fix?: (s: string) => string, setups?: Cmd[][]): Promise<void>;
  /** sameWith for commands written one a line. */
  same(text: string): Promise<void>;
}

export function aclComparer(ports: () => [number, number]): AclComparer {
  const sameWith = async (cmds: Cmd[], fix: (s: string) => string = normalizeRules, setups: Cmd[][] = [[], [['HELLO', '3']]]): Promise<void> => {
    const [corralPort, redisPort] = ports();
    for (const setup of setups) {
      const [ours, theirs] = await transcripts(corralPort, redisPort, cmds, setup);
      for (let i = 0; i < cmds.length; i++) {
        const cmd = cmds[i].map(String).join(' ');
        const show = (b: Buffer): string => JSON.stringify(maskIds(fix(b.toString('latin1'))));
        assert.equal(show(ours[i]), show(theirs[i]), `${JSON.stringify(setup)} #${i} ${JSON.stringify(cmd)}`);
      }
    }
  };
  return { sameWith, same: (text) => sameWith(splitCommands(text)) };
}
