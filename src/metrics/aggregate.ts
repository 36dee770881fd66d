// `corral up`'s aggregated /metrics: every node's scrape merged into one exposition, each sample
// given a `node="host:port"` label, each metric family's HELP and TYPE written once, and a
// `corral_node_up{node}` gauge (1: its scrape answered, 0: it did not) so a dead node is a query.
//
// Merging works on the text format: a node's lines are grouped under the family whose HELP/TYPE
// preceded them (a histogram's _bucket/_sum/_count samples follow their family's header), so the
// merged text keeps every family's samples together, as the format requires.

interface Family {
  help: string | null;
  type: string | null;
  samples: string[];
}

/** A sample line with `node="<node>"` as its first label. */
export function withNodeLabel(line: string, node: string): string {
  const label = `node="${node.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace !== -1 && (space === -1 || brace < space)) {
    const rest = line.slice(brace + 1);
    return `${line.slice(0, brace)}{${label}${rest.startsWith('}') ? '' : ','}${rest}`;
  }
  return space === -1 ? line : `${line.slice(0, space)}{${label}}${line.slice(space)}`;
}

/** Merges node scrapes (node address -> exposition text, or null for a node that did not answer). */
export function mergeScrapes(scrapes: Array<[string, string | null]>): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const up = familyOf('corral_node_up');
  up.help = '# HELP corral_node_up 1 if the node answered corral up\'s scrape of its /metrics, else 0.';
  up.type = '# TYPE corral_node_up gauge';
  for (const [node, text] of scrapes) {
    up.samples.push(withNodeLabel(`corral_node_up ${text === null ? 0 : 1}`, node));
    if (text === null) continue;
    let current: Family | null = null;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta !== null) {
        current = familyOf(meta[2]);
        if (meta[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample with no header before it (not prom-client's output): its own untyped family.
      const target = current ?? familyOf(line.split(/[{ ]/, 1)[0]);
      target.samples.push(withNodeLabel(line, node));
    }
  }
  let out = '';
  for (const f of families.values()) {
    if (f.samples.length === 0) continue;
    if (f.help !== null) out += `${f.help}\n`;
    if (f.type !== null) out += `${f.type}\n`;
    for (const s of f.samples) out += `${s}\n`;
  }
  return out;
}

/** One node's /metrics text, or null if it does not answer within timeoutMs. */
export async function scrapeNode(host: string, port: number, timeoutMs = 2000): Promise<string | null> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}
