import { createHook } from 'node:async_hooks';
import { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/**
 * A test file must stop what it started: a server still listening, a child
 * process still running, or a timer of ours still armed (a dispatcher, a poll
 * loop, a sleep: any timer set from src/) when the file ends fails it, naming
 * what was left. Timers of libraries (the pg pool's idle timers, the test
 * runner's own) are theirs to manage; servers and children the runner holds
 * are the baseline taken before the file starts.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const timers = new Map<number, { resource: NodeJS.Timeout; where: string }>();
createHook({
  init(id, type, _trigger, resource) {
    if (type !== 'Timeout') return;
    // Set by our code itself, not by a library our code called (the pg pool arms its idle timers on release()).
    const caller = new Error().stack!.split('\n').slice(1).find((l) => !l.includes('(node:') && !l.includes(' node:') && !l.includes('<anonymous>') && !l.includes('no-leftovers'));
    if (caller?.includes(SRC) && !caller.includes('node_modules')) timers.set(id, { resource: resource as NodeJS.Timeout, where: caller.trim().replace(SRC, 'src/') });
  },
  destroy(id) {
    timers.delete(id);
  },
}).enable();

const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
const servers = () => handles().filter((h): h is net.Server => h instanceof net.Server && h.listening);
const children = () => handles().filter((h): h is ChildProcess => h instanceof ChildProcess && h.exitCode === null && h.signalCode === null);

let base: { servers: Set<net.Server>; children: Set<ChildProcess> };
beforeAll(() => {
  base = { servers: new Set(servers()), children: new Set(children()) };
});

function leftovers(): string[] {
  const out: string[] = [];
  for (const s of servers()) if (!base.servers.has(s)) out.push(`a server listening on ${JSON.stringify(s.address())}`);
  for (const c of children()) if (!base.children.has(c)) out.push(`child process ${c.pid} (${c.spawnargs.join(' ').slice(0, 120)})`);
  for (const t of timers.values()) if (t.resource.hasRef()) out.push(`a timer ${t.where}`);
  return out;
}

afterAll(async () => {
  // Closing is often a tick away: give it a moment.
  const until = Date.now() + 1_000;
  let left = leftovers();
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50).unref());
    left = leftovers();
  }
  if (left.length > 0) throw new Error(`the test file left things running:\n  ${[...new Set(left)].join('\n  ')}`);
});
