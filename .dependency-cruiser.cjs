// Keeps the source layout's import directions (docs/architecture.md): each layer may import only
// the layers listed after it in `order` ... i.e. below it. index.ts and cli/ sit on top.
const order = ['util', 'protocol', 'store', 'commands', 'cluster', 'control', 'server', 'metrics', 'client', 'cache', 'demo', 'dashboard', 'cli'];

const forbidden = [];
order.forEach((layer, i) => {
  const above = order.slice(i + 1);
  if (above.length === 0) return;
  forbidden.push({
    name: `${layer}-imports-only-down`,
    comment: `src/${layer}/ may not import from a layer above it (${above.join(', ')})`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${above.join('|')})/` },
  });
});
forbidden.push({
  name: 'nothing-imports-the-entry-point',
  severity: 'error',
  from: { path: '^src/(?!index\\.ts$)' },
  to: { path: '^src/index\\.ts$' },
});
forbidden.push({
  name: 'no-circular',
  severity: 'error',
  from: { path: '^src/', pathNot: '\\.test\\.ts$' },
  to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
});
// Server-level command handlers (and the INFO / CLIENT LIST reports) see their node only as
// ServerApi (src/server/server-api.ts): nothing they import, even a type, may lead to the node
// class, so that the node and its commands form no import circle.
const SERVER_API_SIDE = '^src/server/(commands/|info\\.ts$|server-api\\.ts$|server-core\\.ts$)';
forbidden.push({
  name: 'server-commands-do-not-reach-node',
  comment: 'src/server/commands/, info.ts, server-api.ts and server-core.ts may not import src/server/node.ts, directly or through other modules (type-only imports included): use ServerApi',
  severity: 'error',
  from: { path: SERVER_API_SIDE, pathNot: '\\.test\\.ts$' },
  to: { path: '^src/server/node\\.ts$', reachable: true },
});
// The no-circular rule above ignores type-only imports; here they count. Scoped to the handlers'
// side: src/server still has type-only circles elsewhere (node.ts <-> script-host.ts;
// client.ts <-> pubsub.ts and tracking.ts).
forbidden.push({
  name: 'server-commands-no-circular',
  comment: 'no import circle (type-only imports included) through src/server/commands/, info.ts, server-api.ts or server-core.ts',
  severity: 'error',
  from: { path: SERVER_API_SIDE, pathNot: '\\.test\\.ts$' },
  to: { circular: true },
});
forbidden.push({
  name: 'src-does-not-import-tests',
  severity: 'error',
  from: { path: '^src/', pathNot: '\\.test\\.ts$' },
  to: { path: '^(test|bench)/' },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
