// Loaded with `node --import`: prints every module URL the process loads to fd 3's stand-in (stderr line
// prefixed with IMPORT), so a test can assert what start-up did not load.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      process.stderr.write('IMPORT ' + r.url + '\\n');
      return r;
    }
  `)}`,
);
