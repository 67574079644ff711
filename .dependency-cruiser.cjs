// Layering: each layer imports only from layers below it (model and util are the ground floor).
//   model, util ← deploy ← probes ← analyze ← suite ← scenarios ← report ← cli
// bench/, examples/ and test/ sit on top and may import anything. `npm test` runs this check.
const LAYERS = [
  ['model', '^src/model/'],
  ['util', '^src/util/'],
  ['deploy', '^src/deploy/'],
  ['probes', '^src/probes/'],
  ['analyze', '^src/analyze/'],
  ['suite', '^src/suite/'],
  ['scenarios', '^scenarios/'],
  ['report', '^src/report/'],
  ['cli', '^src/cli(\\.ts$|/)'],
];

// model and util share the ground floor but do not import each other's way up: util never needs
// the vocabulary, and the model is plain types.
const GROUND = { model: ['^src/util/'], util: ['^src/model/'] };

const forbidden = LAYERS.flatMap(([name, from], i) => {
  const higher = LAYERS.slice(i + 1).map(([, path]) => path);
  const paths = [...higher, ...(GROUND[name] ?? [])].filter((p) => p !== from);
  return paths.length
    ? [
        {
          name: `${name}-imports-only-below`,
          comment: `${name} may not import a higher layer (see the layer list in .dependency-cruiser.cjs)`,
          severity: 'error',
          from: { path: from },
          to: { path: paths },
        },
      ]
    : [];
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'product-imports-no-tests',
      comment: 'product code may not import test helpers or fixtures',
      severity: 'error',
      from: { path: '^(src|scenarios)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'nothing-outside-the-repository',
      comment: 'no import may leave the repository',
      severity: 'error',
      from: {},
      to: { path: '^\\.\\./' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(src|scenarios)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|reports)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
    // A symlinked node_modules (a git worktree sharing the main checkout's) stays node_modules.
    preserveSymlinks: true,
  },
};
