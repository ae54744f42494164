/**
 * Resolves on the first SIGINT/SIGTERM; a second one exits at once (the
 * operator wants out now; leases cover whatever was in flight).
 */
export function untilSignal(onFirst?: (sig: NodeJS.Signals) => void): { promise: Promise<NodeJS.Signals>; dispose(): void } {
  let first = true;
  let resolve!: (s: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (sig: NodeJS.Signals) => {
    if (!first) process.exit(130);
    first = false;
    onFirst?.(sig);
    resolve(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
