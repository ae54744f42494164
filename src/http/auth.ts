import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

function sameSecret(a: string, b: string): boolean {
  // Hash first so that the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * onRequest hook of the API (before any body is read): `Authorization: Bearer <BLUECAST_API_TOKEN>`.
 * Without a configured token the API is closed rather than open.
 */
export function requireBearer(token: string | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!token) {
      await reply.code(503).send({ error: 'the API is disabled: set BLUECAST_API_TOKEN' });
      return;
    }
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !sameSecret(m[1]!.trim(), token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid bearer token' });
    }
  };
}

export { sameSecret };
