// Bundles the analysis thread, as tsc built it (dist/analysis/thread-worker.js and what it imports), into
// one CommonJS file beside it at build time (npm run build, pretest, prepare): a worker thread starts one
// CommonJS file well before the ES modules it is made of, since each thread sets up Node's ES module
// loader of its own, and a first --list waits for that thread. The files it was made from are listed
// beside it, relative to it: analysis/analyzer.ts takes the bundle only while none of them is newer (a
// build by tsc alone leaves it stale) and otherwise starts the modules themselves.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const DIST = path.resolve(import.meta.dirname, '..', 'dist', 'analysis');

/** Writes thread-worker.cjs and thread-worker.inputs.json into `outdir`. */
export async function bundleThread(outdir = DIST) {
  const outfile = path.join(outdir, 'thread-worker.cjs');
  const result = await build({
    entryPoints: [path.join(DIST, 'thread-worker.js')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Found in node_modules when used: mvdan-sh through the code cache, acorn on first use.
    external: ['mvdan-sh', 'acorn'],
    // The modules resolve packages and files from their own URL; the bundle's stands in for it.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.relative(outdir, path.resolve(f)));
  writeFileSync(path.join(outdir, 'thread-worker.inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
}

if (process.argv[1] === import.meta.filename) await bundleThread(process.argv[2]);
