import http from 'node:http';
import https from 'node:https';

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A failure on the wire, with how far the request got: `written` is false
 * only when no byte can have reached the server (no connection was made),
 * which is what decides whether a retry could duplicate the request.
 */
export class WireError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly written: boolean,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Wire {
  request(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<WireResponse>;
  close(): void;
}

/**
 * node:http with keep-alive agents. Chosen over global fetch because it is
 * several times cheaper per request (the dispatcher pushes >1,000 sends/s)
 * and tells us whether a connection was ever made.
 */
export function createWire(): Wire {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
  };
  return {
    request(method, url, headers, body, signal) {
      return new Promise<WireResponse>((resolve, reject) => {
        const isHttps = url.protocol === 'https:';
        if (!isHttps && url.protocol !== 'http:') return reject(new WireError(`unsupported protocol ${url.protocol}`, undefined, false, undefined));
        let connected = false;
        let status: number | undefined;
        let settled = false;
        const finish = (err: WireError | undefined, res?: WireResponse) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve(res!);
        };
        const h: Record<string, string> = { ...headers };
        if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
        const req = (isHttps ? https : http).request(url, { method, headers: h, agent: agents[isHttps ? 'https:' : 'http:'] }, (res) => {
          status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(undefined, { status: status!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => finish(new WireError(e.message, (e as NodeJS.ErrnoException).code, true, status, { cause: e })));
          res.on('aborted', () => finish(new WireError('connection closed while reading the answer', 'ECONNRESET', true, status)));
        });
        req.on('socket', (s) => {
          // A reused keep-alive socket is connected already.
          if (!s.connecting) connected = true;
          else s.once('connect', () => (connected = true));
        });
        req.on('error', (e) => finish(new WireError(e.message, (e as NodeJS.ErrnoException).code, connected, status, { cause: e })));
        const onAbort = () => {
          finish(new WireError('aborted', 'ABORT_ERR', connected, status, { cause: signal.reason }));
          req.destroy();
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        req.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
