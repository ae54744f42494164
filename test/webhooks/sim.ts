import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  /** The provider's answer (502 when the proxy could not reach it); undefined while in flight. */
  status?: number;
  /** When the proxy received the call (ms since the epoch). */
  at: number;
}

/**
 * A tiny recording proxy on 127.0.0.1 in front of the simulator: the provider
 * calls pass through unchanged and are logged in the order they arrived, which
 * is what the conversation-care tests assert on.
 */
export async function startRecordingProxy(): Promise<{ url: string; calls: RecordedCall[]; setTarget(url: string): void; close(): Promise<void> }> {
  let target = '';
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const call: RecordedCall = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : null, at: Date.now() };
      calls.push(call);
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      fetch(`${target}${req.url}`, { method: req.method, headers, body: raw || undefined })
        .then(async (r) => {
          call.status = r.status;
          const retryAfter = r.headers.get('retry-after');
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json', ...(retryAfter ? { 'retry-after': retryAfter } : {}) });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => {
          call.status = 502;
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setTarget(url) {
      target = url;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
