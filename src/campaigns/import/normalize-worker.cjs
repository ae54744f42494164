// Entry of a normalisation worker thread. Worker threads do not inherit tsx's
// loader hooks (and `--import tsx` in a worker's execArgv does not take effect
// on Node 20). tsx's CommonJS hook is registered here rather than its ESM one:
// the ESM hook starts a hooks thread of its own per worker (~40 MB each),
// the require hook runs in this thread.
require('tsx/cjs/api').register();
require('./normalize-worker.ts');
