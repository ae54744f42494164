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
