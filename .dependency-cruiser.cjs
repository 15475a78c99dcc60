// The layering rule of lib/ (ARCHITECTURE.md): a folder may import its own folder and the folders below it,
// never one above, and nothing may form a cycle. `npm test` runs this before the suite.
const LAYERS = ['core', 'os', 'markdown', 'analysis', 'shell', 'js', 'engine', 'records', 'check', 'ui', 'run', 'cli'];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-imports-upward`,
  comment: `lib/${layer}/ may import only ${LAYERS.slice(0, i + 1).join(', ')}`,
  severity: 'error',
  from: { path: `^lib/${layer}/` },
  to: { path: `^lib/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'an import cycle: the layers must form a tree downwards',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'outside-a-layer',
      comment: 'every file of lib/ lives in one of the layer folders',
      severity: 'error',
      from: { path: '^lib/[^/]+$' },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
