import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { ProviderError } from '../../src/provider/errors.ts';
import { backoffDelay, parseRetryAfter } from '../../src/provider/http.ts';
import { freePort } from '../helpers/net.ts';
import { envelope, errorEnvelope, startCapture, type Captured, type Script } from './capture.ts';
import { explain, pathParameters, requestBodyValidator, responseValidator } from './openapi.ts';

const KEY = 'contiguity_sk_capture_test';
const TO = '+14155552671';
const LINE = '+14155550100';
const fastRetry = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** A scripted server per test, closed after the file. */
const servers: { close(): Promise<void> }[] = [];
async function serve(script: (req: Captured, n: number) => Script) {
  const s = await startCapture(script);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A text thread as the provider documents it: one SMS fallback we sent, one SMS that came in. */
const TEXT_HISTORY = {
  conversation: [
    { to: TO, from: LINE, message: 'hi by SMS', timestamp: 1_757_550_304_652, delivery: { status: 'delivered', delayed: false, timestamp: 1_757_550_305_000 }, attachments: [] },
    { to: LINE, from: TO, message: 'STOP', timestamp: 1_757_550_400_000, delivery: { status: 'delivered', delayed: false, timestamp: 1_757_550_400_000 }, attachments: [] },
  ],
  reactions: [],
  chat: { limit: 20, total: 2, count: 2 },
};

function answerFor(req: Captured): Script {
  const path = req.url.split('?')[0]!;
  if (path === '/send/imessage') return { status: 200, body: envelope({ message_id: 'imsg_abc' }) };
  if (path === '/send/imessage/typing') return { status: 200, body: envelope({ status: 'started' }) };
  if (path === '/send/imessage/reactions') return { status: 200, body: envelope({ status: 'added', message: 'ok' }) };
  if (path === '/send/imessage/read') return { status: 200, body: envelope({ status: 'sent', message: 'ok' }) };
  if (path.startsWith('/conversations/history/message/'))
    return { status: 200, body: envelope({ id: 'imsg_abc', to: TO, from: LINE, message: 'hi', timestamp: 1, status: 'delivered', attachments: [] }) };
  if (path.startsWith('/conversations/history/imessage/')) return { status: 200, body: envelope({ conversation: [], reactions: [], chat: { filtered: false, chat_marked_as_spam: false, limit: 20, total: 0, count: 0 } }) };
  if (path.startsWith('/conversations/history/text/')) return { status: 200, body: envelope(TEXT_HISTORY) };
  if (path.startsWith('/conversations/availability/imessage/')) return { status: 200, body: envelope({ available: true }) };
  return { status: 404, body: errorEnvelope(404, 'Not Found') };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('requests the client sends (validated against openapi-send.json / openapi-conversations.json)', () => {
  let server: Awaited<ReturnType<typeof startCapture>>;
  let client: ReturnType<typeof createImessageClient>;
  beforeAll(async () => {
    server = await serve(answerFor);
    client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
  });
  afterAll(() => client.close());

  it('every POST body validates against its request schema and carries the Token header', async () => {
    await client.send({ to: TO, message: '**Hi** {name}', from: LINE, attachments: ['https://cdn.example.com/a/pic.png'], fallback: { when: ['imessage_unsupported', 'imessage_fails'], from: LINE }, fast_track: true });
    await client.send({ to: TO, attachments: ['https://cdn.example.com/doc.pdf'] });
    await client.reply({ data: { from: TO, to: LINE } }, { message: 'thanks' });
    await client.typing({ to: TO, action: 'start' });
    await client.typing({ to: TO, action: 'stop', from: LINE });
    await client.react('add', { to: TO, from: LINE, tapback: 'love', message: 'hi' });
    await client.read({ to: TO, from: LINE });
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.url)).toEqual(['/send/imessage', '/send/imessage', '/send/imessage', '/send/imessage/typing', '/send/imessage/typing', '/send/imessage/reactions', '/send/imessage/read']);
    for (const r of posts) {
      const v = requestBodyValidator(r.url.replace('/send', ''));
      expect(v(JSON.parse(r.body)), `${r.url} ${r.body} ${explain(v)}`).toBe(true);
      expect(r.headers.authorization).toBe(`Token ${KEY}`);
      expect(r.headers['content-type']).toBe('application/json');
    }
    // the reply swaps the incoming event's from/to
    expect(JSON.parse(posts[2]!.body)).toEqual({ to: TO, from: LINE, message: 'thanks' });
    expect(JSON.parse(posts[5]!.body)).toEqual({ to: TO, from: LINE, action: 'add', tapback: 'love', message: 'hi' });
  });

  it('GETs fill the documented path parameters and the tracking query', async () => {
    server.requests.length = 0;
    await client.history({ to: TO, from: LINE });
    await client.history({ to: TO, from: LINE, limit: 200, tracking: true });
    await client.textHistory({ to: TO, from: LINE });
    await client.textHistory({ to: TO, from: LINE, limit: 50, tracking: true });
    await client.get('imsg_abc', { tracking: true });
    await client.get('imsg_abc');
    await client.availability(TO);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /conversations/history/imessage/%2B14155552671/%2B14155550100/20`,
      `GET /conversations/history/imessage/%2B14155552671/%2B14155550100/200?tracking=true`,
      `GET /conversations/history/text/%2B14155552671/%2B14155550100/20`,
      `GET /conversations/history/text/%2B14155552671/%2B14155550100/50?tracking=true`,
      `GET /conversations/history/message/imsg_abc?tracking=true`,
      `GET /conversations/history/message/imsg_abc`,
      `GET /conversations/availability/imessage/%2B14155552671`,
    ]);
    // the parameter names used above are the documented ones
    expect(pathParameters('conversations', '/history/imessage/{to}/{from}/{limit}', 'get').map((p) => `${p.in}:${p.name}`)).toEqual(['path:to', 'path:from', 'path:limit', 'query:tracking']);
    expect(pathParameters('conversations', '/history/text/{to}/{from}/{limit}', 'get').map((p) => `${p.in}:${p.name}`)).toEqual(['path:to', 'path:from', 'path:limit', 'query:tracking']);
    expect(pathParameters('conversations', '/history/message/{id}', 'get').map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:tracking']);
    expect(pathParameters('conversations', '/availability/imessage/{to}', 'get').map((p) => `${p.in}:${p.name}`)).toEqual(['path:to']);
    for (const r of server.requests) expect(r.body).toBe('');
  });
});

describe('answers the client accepts (validated against openapi-conversations.json)', () => {
  it('textHistory: the documented answer is parsed; one that breaks the schema is refused, not guessed at', async () => {
    const v = responseValidator('conversations', '/history/text/{to}/{from}/{limit}', 'get', 200);
    expect(v(envelope(TEXT_HISTORY)), explain(v)).toBe(true);
    const server = await serve(answerFor);
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    expect(await client.textHistory({ to: TO, from: LINE })).toEqual(TEXT_HISTORY);

    const broken = { ...TEXT_HISTORY, conversation: [{ to: TO, from: LINE, message: 'no delivery', timestamp: 1, attachments: [] }] };
    expect(v(envelope(broken))).toBe(false);
    const bad = await serve(() => ({ status: 200, body: envelope(broken) }));
    const c2 = createImessageClient({ baseUrl: bad.url, apiKey: KEY, retry: fastRetry });
    expect(await caught(c2.textHistory({ to: TO, from: LINE }))).toMatchObject({ kind: 'http', status: 200, ambiguous: true, retryable: false });
    expect(bad.requests).toHaveLength(1);
    client.close();
    c2.close();
  });
});

describe('input validation makes no request', () => {
  it.each([
    ['send: bad to, http attachment, empty fallback.when, unknown field', (c: ReturnType<typeof createImessageClient>) => c.send({ to: '555-0100', attachments: ['http://x.com/a.png'], fallback: { when: [] }, colour: 'red' } as never), ['to', 'attachments.0', 'fallback.when', 'colour']],
    ['send: no message and no attachments', (c: ReturnType<typeof createImessageClient>) => c.send({ to: TO }), ['message']],
    ['send: 11 attachments', (c: ReturnType<typeof createImessageClient>) => c.send({ to: TO, message: 'x', attachments: Array(11).fill('https://x.com/a.png') }), ['attachments']],
    ['send: attachment without a file extension', (c: ReturnType<typeof createImessageClient>) => c.send({ to: TO, message: 'x', attachments: ['https://x.com/a.png', 'https://x.com/download'] }), ['attachments.1']],
    ['send: unknown fallback value, invalid number', (c: ReturnType<typeof createImessageClient>) => c.send({ to: '+15555555555', message: 'x', fallback: { when: ['always' as never] } }), ['to', 'fallback.when.0']],
    ['reply: event without a valid from', (c: ReturnType<typeof createImessageClient>) => c.reply({ data: { from: 'x', to: LINE } }, { message: 'hi' }), ['event.data.from']],
    ['typing: bad action', (c: ReturnType<typeof createImessageClient>) => c.typing({ to: TO, action: 'pause' as never }), ['action']],
    ['react: bad action and tapback', (c: ReturnType<typeof createImessageClient>) => c.react('toggle' as never, { to: TO, from: LINE, tapback: 'wow' as never, message: 'x' }), ['action']],
    ['react: bad tapback, missing message', (c: ReturnType<typeof createImessageClient>) => c.react('add', { to: TO, from: LINE, tapback: 'wow' as never } as never), ['tapback', 'message']],
    ['read: missing from', (c: ReturnType<typeof createImessageClient>) => c.read({ to: TO } as never), ['from']],
    ['history: limit 201', (c: ReturnType<typeof createImessageClient>) => c.history({ to: TO, from: LINE, limit: 201 }), ['limit']],
    ['history: fractional limit', (c: ReturnType<typeof createImessageClient>) => c.history({ to: TO, from: LINE, limit: 1.5 }), ['limit']],
    ['text history: limit 0, bad from', (c: ReturnType<typeof createImessageClient>) => c.textHistory({ to: TO, from: 'line 1', limit: 0 }), ['from', 'limit']],
    ['text history: unknown field', (c: ReturnType<typeof createImessageClient>) => c.textHistory({ to: TO, from: LINE, channel: 'sms' } as never), ['channel']],
    ['get: id with a slash', (c: ReturnType<typeof createImessageClient>) => c.get('../admin'), ['id']],
    ['availability: not E.164', (c: ReturnType<typeof createImessageClient>) => c.availability('4155552671'), ['to']],
  ])('%s', async (_name, call, paths) => {
    const server = await serve(answerFor);
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    const e = await caught(call(client));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues.map((i) => i.path)).toEqual(paths);
    expect(server.requests).toHaveLength(0);
    client.close();
  });
});

describe('errors and retries', () => {
  it('429 then success: waits the Retry-After, then succeeds', async () => {
    const server = await serve((r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: errorEnvelope(429, 'Too Many Requests') } : answerFor(r)));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    const t0 = Date.now();
    await expect(client.send({ to: TO, message: 'hi' })).resolves.toEqual({ message_id: 'imsg_abc' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
    client.close();
  });

  it('5xx are retried with backoff until success; after maxRetries the last error surfaces', async () => {
    const flaky = await serve((r, n) => (n <= 2 ? { status: 503, body: 'upstream down' } : answerFor(r)));
    const c1 = createImessageClient({ baseUrl: flaky.url, apiKey: KEY, retry: fastRetry });
    await expect(c1.availability(TO)).resolves.toEqual({ available: true });
    expect(flaky.requests).toHaveLength(3);

    const down = await serve(() => ({ status: 500, body: errorEnvelope(500, 'Internal Server Error') }));
    const c2 = createImessageClient({ baseUrl: down.url, apiKey: KEY, retry: fastRetry });
    const e = (await caught(c2.availability(TO))) as ProviderError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ kind: 'http', status: 500, providerMessage: 'Internal Server Error', requestId: 'err_test0000000000', retryable: true, ambiguous: true });
    expect(down.requests).toHaveLength(1 + fastRetry.maxRetries);
    c1.close();
    c2.close();
  });

  it('a send answered 502 (a gateway, perhaps after the provider accepted it) is not retried in safe mode: ambiguous', async () => {
    const gw = await serve(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    const c = createImessageClient({ baseUrl: gw.url, apiKey: KEY, retry: fastRetry });
    const e = (await caught(c.send({ to: TO, message: 'hi' }, { retry: 'safe' }))) as ProviderError;
    expect(e).toMatchObject({ kind: 'http', status: 502, ambiguous: true });
    expect(gw.requests).toHaveLength(1);
    c.close();
  });

  it('error envelopes are kept whole (extra fields such as agreement_url), and a top-level {message, status} is read as the SDK reads it', async () => {
    const body = JSON.stringify({ id: 'err_1', timestamp: 1, api_version: 'v', object: 'error', data: { error: 'Agreement not accepted', status: 403, agreement_url: 'https://contiguity.com/agree' } });
    const s1 = await serve(() => ({ status: 403, body }));
    const c1 = createImessageClient({ baseUrl: s1.url, apiKey: KEY, retry: fastRetry });
    const e1 = (await caught(c1.send({ to: TO, message: 'hi' }))) as ProviderError;
    expect(e1).toMatchObject({ status: 403, providerMessage: 'Agreement not accepted', requestId: 'err_1', details: { error: 'Agreement not accepted', status: 403, agreement_url: 'https://contiguity.com/agree' } });
    const s2 = await serve(() => ({ status: 401, body: JSON.stringify({ message: 'Invalid API key', status: 401 }) }));
    const c2 = createImessageClient({ baseUrl: s2.url, apiKey: KEY, retry: fastRetry });
    const e2 = (await caught(c2.send({ to: TO, message: 'hi' }))) as ProviderError;
    expect(e2).toMatchObject({ status: 401, providerMessage: 'Invalid API key', details: { message: 'Invalid API key', status: 401 } });
    c1.close();
    c2.close();
  });

  it.each([400, 401, 403, 404])('%i is final: one request, not retryable, provider message and request id kept', async (status) => {
    const server = await serve(() => ({ status, body: errorEnvelope(status, `nope ${status}`) }));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    const e = (await caught(client.send({ to: TO, message: 'hi' }))) as ProviderError;
    expect(e).toMatchObject({ kind: 'http', status, providerMessage: `nope ${status}`, requestId: 'err_test0000000000', retryable: false, ambiguous: false });
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('the status is checked before the body: an HTML 502 is an http error, not a JSON error', async () => {
    const server = await serve(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: { ...fastRetry, maxRetries: 0 } });
    expect(await caught(client.send({ to: TO, message: 'hi' }))).toMatchObject({ kind: 'http', status: 502, providerMessage: '<html>Bad gateway</html>', retryable: true });
    client.close();
  });

  it('a 2xx that is not a valid envelope/data is ambiguous (the provider acted) and never retried', async () => {
    const server = await serve((_r, n) => (n === 1 ? { status: 200, body: 'OK' } : { status: 200, body: envelope({ id: 123 }) }));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    expect(await caught(client.send({ to: TO, message: 'hi' }))).toMatchObject({ kind: 'http', status: 200, retryable: false, ambiguous: true });
    expect(await caught(client.send({ to: TO, message: 'hi' }))).toMatchObject({ kind: 'http', status: 200, retryable: false, ambiguous: true, requestId: 'req_test0000000000' });
    expect(server.requests).toHaveLength(2);
    client.close();
  });

  it('timeout: ambiguous, retried in mode all, not retried in mode safe', async () => {
    const server = await serve(() => 'hang');
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const e = (await caught(client.send({ to: TO, message: 'hi' }, { retry: 'safe' }))) as ProviderError;
    expect(e).toMatchObject({ kind: 'timeout', retryable: true, ambiguous: true });
    expect(server.requests).toHaveLength(1);
    await caught(client.send({ to: TO, message: 'hi' }));
    expect(server.requests).toHaveLength(3);
    client.close();
  });

  it('a connection dropped after the request was written is ambiguous; mode none makes one attempt', async () => {
    const server = await serve(() => 'drop');
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: fastRetry });
    expect(await caught(client.send({ to: TO, message: 'hi' }, { retry: 'safe' }))).toMatchObject({ kind: 'network', retryable: true, ambiguous: true });
    expect(server.requests).toHaveLength(1);
    await caught(client.send({ to: TO, message: 'hi' }, { retry: 'none' }));
    expect(server.requests).toHaveLength(2);
    client.close();
  });

  it('connection refused is not ambiguous, so mode safe retries it', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
    const client = createImessageClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, logger, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const e = (await caught(client.send({ to: TO, message: 'hi' }, { retry: 'safe' }))) as ProviderError;
    expect(e).toMatchObject({ kind: 'network', retryable: true, ambiguous: false });
    expect(e.providerMessage).toMatch(/ECONNREFUSED/);
    expect(lines.map((l) => JSON.parse(l).attempt)).toEqual([1, 2]);
    client.close();
  });

  it('a Retry-After beyond maxRetryAfterMs is handed back to the caller instead of waited for', async () => {
    const server = await serve(() => ({ status: 429, headers: { 'retry-after': '120' }, body: errorEnvelope(429, 'slow down') }));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: { ...fastRetry, maxRetryAfterMs: 5_000 } });
    expect(await caught(client.send({ to: TO, message: 'hi' }))).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it("the caller's abort signal stops the call and its retries with the caller's reason", async () => {
    const server = await serve(() => ({ status: 503, body: errorEnvelope(503, 'down') }));
    const client = createImessageClient({ baseUrl: server.url, apiKey: KEY, retry: { maxRetries: 10, baseDelayMs: 200, maxDelayMs: 200 } });
    const ctl = new AbortController();
    const p = caught(client.send({ to: TO, message: 'hi' }, { signal: ctl.signal }));
    setTimeout(() => ctl.abort(new Error('shutting down')), 50);
    const e = await p;
    expect(e).not.toBeInstanceOf(ProviderError);
    expect((e as Error).message).toBe('shutting down');
    expect(server.requests.length).toBeLessThanOrEqual(2);
    client.close();
  });
});

describe('backoff helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('full jitter stays within [0, min(max, base·2^attempt)]', () => {
    const p = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, p, () => 0.999)).toBe(99);
    expect(backoffDelay(3, p, () => 0.5)).toBe(400);
    expect(backoffDelay(10, p, () => 0.999)).toBe(999);
    expect(backoffDelay(2, p, () => 0)).toBe(0);
  });
});
