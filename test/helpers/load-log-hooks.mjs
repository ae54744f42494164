// Module hooks (node --import test/helpers/load-log.mjs): append every module
// URL that gets loaded to the file named by BLUECAST_LOAD_LOG.
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (process.env.BLUECAST_LOAD_LOG) appendFileSync(process.env.BLUECAST_LOAD_LOG, `${url}\n`);
  return nextLoad(url, context);
}
