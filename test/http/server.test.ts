import { afterAll, describe, expect, it } from 'vitest';
import { requireBearer } from '../../src/http/auth.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { NotFoundError, ValidationError } from '../../src/lib/errors.ts';
import { createLogger } from '../../src/lib/logger.ts';

describe('http server skeleton', async () => {
  const app = await buildHttpServer({ logger: createLogger('silent') }, [
    (a) => {
      a.get('/api/thing', { preHandler: requireBearer('0123456789abcdef0123') }, async () => ({ ok: 1 }));
      a.get('/api/missing', async () => {
        throw new NotFoundError('campaign nope not found');
      });
      a.get('/api/invalid', async () => {
        throw new ValidationError([{ path: 'name', message: 'required' }]);
      });
    },
  ]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());

  it('requires the bearer token', async () => {
    expect((await fetch(`${url}/api/thing`)).status).toBe(401);
    expect((await fetch(`${url}/api/thing`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${url}/api/thing`, { headers: { authorization: 'Bearer 0123456789abcdef0123' } });
    expect(ok.status).toBe(200);
  });

  it('maps domain errors to status codes', async () => {
    const nf = await fetch(`${url}/api/missing`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: 'campaign nope not found' });
    const bad = await fetch(`${url}/api/invalid`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: unknown }).issues).toEqual([{ path: 'name', message: 'required' }]);
  });
});

describe('closing the server', () => {
  it('ends once the requests under way are answered, even on a keep-alive connection (not after its 72 s keep-alive)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const app = await buildHttpServer({ logger: createLogger('silent') }, [
      (a) => {
        a.get('/quick', async () => ({ ok: 1 }));
        a.get('/held', async () => {
          await held;
          return { ok: 2 };
        });
      },
    ]);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await (await fetch(`${url}/quick`)).json(); // a keep-alive connection, idle now
    const answer = fetch(`${url}/held`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 100));
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false); // the request under way still gets its answer
    release();
    expect(await answer).toEqual({ ok: 2 });
    const t = Date.now();
    await closing;
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  it('cuts what is still open after the grace', async () => {
    const app = await buildHttpServer({ logger: createLogger('silent'), closeGraceMs: 300 }, [
      (a) => {
        a.get('/stuck', () => new Promise(() => undefined));
      },
    ]);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const answer = fetch(`${url}/stuck`).then(
      (r) => r.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    await app.close();
    expect(await answer).toBe('cut');
  });
});
