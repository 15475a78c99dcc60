// Bundles the page's script and style into dist/web/ at build time (npm run build, pretest, prepare), so
// `runbook serve` serves only files of the package and fetches nothing at run time.
import path from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const out = path.join(here, '..', 'dist', 'web');
const common = {
  bundle: true,
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  target: ['chrome110', 'firefox115', 'safari16'],
};
await build({
  ...common,
  entryPoints: [path.join(here, 'app.ts')],
  outfile: path.join(out, 'app.js'),
  format: 'iife',
});
await build({ ...common, entryPoints: [path.join(here, 'style.css')], outfile: path.join(out, 'app.css') });
