// Loaded with `node --import`: prints every module URL the process loads to stderr (a line prefixed with
// IMPORT), or appends it to the file $TRACE_IMPORTS_TO names (a process whose stderr is a terminal), so a
// test can assert what start-up did not load.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    const to = process.env.TRACE_IMPORTS_TO;
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      if (to) appendFileSync(to, 'IMPORT ' + r.url + '\\n');
      else process.stderr.write('IMPORT ' + r.url + '\\n');
      return r;
    }
  `)}`,
);
