#!/usr/bin/env node
// The load generator (`npm run bench -- …`). A committed launcher (rather than dist/main.js itself) so that
// npm links the bin at install time, before the first build has produced dist/.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    process.stderr.write('loadgen: not built yet; run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
});
