#!/usr/bin/env node
// The engram command. A committed launcher (rather than dist/main.js itself) so that npm links the bin at
// install time, before the first build has produced dist/.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('engram: the CLI is not built yet; run `npm run build` (or `npm start`) first\n');
    process.exit(2);
  }
  throw err;
});
