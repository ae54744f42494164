import { register } from 'node:module';

register('./load-log-hooks.mjs', import.meta.url);
