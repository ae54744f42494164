import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Script = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop' | 'hang';

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers as
 * scripted (by request number), for checking exactly what the client sends.
 */
export async function startCapture(script: (req: Captured, n: number) => Script) {
  const requests: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      const s = script(rec, requests.length);
      if (s === 'drop') return req.socket.destroy();
      if (s === 'hang') return;
      res.writeHead(s.status, { 'content-type': 'application/json', ...s.headers });
      res.end(typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const envelope = (data: unknown) => ({ id: 'req_test0000000000', timestamp: Date.now(), api_version: 'v2026.8.2', object: 'response', data });
export const errorEnvelope = (status: number, error: string) => ({ id: 'err_test0000000000', timestamp: Date.now(), api_version: 'v2026.8.2', object: 'error', data: { error, status } });
