// CORRAL MIGRATIONS import lines: exact cases, and agreement with the regex reader this one
// replaced on every line describe() can write (fast-check).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseImports } from './import-lines.js';
import type { ImportReport } from './decisions-reshard.js';

/** The reader before this one (mover.ts until 2026-12-06): the reference. */
function regexReader(reply: unknown[]): Map<number, ImportReport> {
  const out = new Map<number, ImportReport>();
  for (const line of reply) {
    if (typeof line !== 'string' || !line.startsWith('import ')) continue;
    const f = new Map<string, string>();
    for (const m of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) f.set(m[1], m[2]);
    const [keys] = (f.get('keys') ?? '0/0').split('/');
    let error = f.get('error') ?? '';
    if (error.startsWith('"')) {
      try {
        error = JSON.parse(error) as string;
      } catch {
        /* keep it quoted */
      }
    }
    out.set(Number(f.get('slot')), { state: f.get('state') ?? '', mark: Number(f.get('mark') ?? 0), offset: Number(f.get('offset') ?? 0), keys: Number(keys), bytes: Number(f.get('bytes') ?? 0), error });
  }
  return out;
}

test('import lines: fields, the keys copied of keys/total, a quoted error with spaces and escapes; other lines skipped', () => {
  const reply = [
    'export slot=1 state=copying keys=1/2 bytes=3 mark=0 big_pending=0 ms=4',
    'import slot=7 from=127.0.0.1:7001 state=streaming keys=120/130 bytes=65536 mark=3 offset=9001 ms=17',
    'import slot=9 from=127.0.0.1:7002 state=failed keys=0/5 bytes=0 mark=0 offset=0 ms=2 error="ERR the \\"source\\" went away"',
    'cleanup slot=4 keys=10',
    42,
  ];
  const got = parseImports(reply);
  assert.deepEqual([...got.entries()], [
    [7, { state: 'streaming', mark: 3, offset: 9001, keys: 120, bytes: 65536, error: '' }],
    [9, { state: 'failed', mark: 0, offset: 0, keys: 0, bytes: 0, error: 'ERR the "source" went away' }],
  ]);
  assert.deepEqual(parseImports('ERR no'), new Map());
});

test('import lines: the same reports as the regex reader on every line describe() writes', () => {
  const word = fc.stringMatching(/^[a-z-]{1,12}$/);
  const line = fc
    .record({
      slot: fc.nat(16383),
      port: fc.nat(65535),
      state: word,
      copied: fc.nat(),
      total: fc.nat(),
      bytes: fc.nat(),
      mark: fc.nat(),
      offset: fc.nat(),
      ms: fc.nat(),
      error: fc.option(fc.string(), { nil: undefined }),
    })
    .map(
      (i) =>
        `import slot=${i.slot} from=127.0.0.1:${i.port} state=${i.state} keys=${i.copied}/${i.total} bytes=${i.bytes} mark=${i.mark} offset=${i.offset} ms=${i.ms}${i.error === undefined || i.error === '' ? '' : ` error=${JSON.stringify(i.error)}`}`,
    );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
      assert.deepEqual(parseImports(lines), regexReader(lines));
    }),
    { numRuns: 300 },
  );
});
