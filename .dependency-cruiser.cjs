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
