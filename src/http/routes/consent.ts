import { Readable } from 'node:stream';
import type pg from 'pg';
import { z } from 'zod';
import { CONSENT_CSV_HEADER, consentCsvLine, consentHistory, consentRow, importSuppressionList, manualOptIn, manualOptInSchema, manualOptOut, manualOptOutSchema } from '../../consent/operator.ts';
import { ValidationError } from '../../lib/errors.ts';
import { requireBearer } from '../auth.ts';
import { parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';
import { CSV_TYPES, limitBytes } from '../upload.ts';

export interface ConsentRouteDeps {
  pool: pg.Pool;
  /** BLUECAST_API_TOKEN; without it the routes answer 503 (requireBearer). */
  apiToken: string | undefined;
  /** Largest suppression list accepted (bytes). */
  maxUploadBytes?: number;
}

const region = z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code').optional();
const importQuery = z.object({ filename: z.string().min(1).max(255).optional(), region, source: z.string().min(1).max(200).optional() });
const exportQuery = z.object({ format: z.enum(['csv', 'json']).default('csv') });

async function* exportLines(pool: pg.Pool, format: 'csv' | 'json'): AsyncGenerator<string> {
  if (format === 'csv') {
    yield `${CONSENT_CSV_HEADER.join(',')}\n`;
    for await (const r of consentHistory(pool)) yield `${consentCsvLine(r)}\n`;
    return;
  }
  let first = true;
  yield '[';
  for await (const r of consentHistory(pool)) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(consentRow(r))}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/**
 * The consent API, bearer token required (the same actions as `bluecast consent`):
 *   POST /api/consent/opt-out  {phone, reason, region?}   opt out now (stops queued messages, as a STOP)
 *   POST /api/consent/opt-in   {phone, basis, region?}    opt back in, only with the recorded basis
 *   POST /api/consent/import[?filename=&region=&source=]  a suppression list as a text/csv body, all or nothing
 *   GET  /api/consent/export[?format=csv|json]           every change with its proof, streamed
 */
export function consentRoutes(deps: ConsentRouteDeps): RouteModule {
  const maxBytes = deps.maxUploadBytes ?? 256 * 1024 ** 2;
  return (app) => {
    app.addContentTypeParser(CSV_TYPES, { bodyLimit: maxBytes }, (_req, payload, done) => done(null, payload));
    const auth = requireBearer(deps.apiToken);

    app.post('/api/consent/opt-out', { preHandler: auth }, async (req) => manualOptOut(deps.pool, parseInput(manualOptOutSchema, req.body, 'body'), 'api'));
    app.post('/api/consent/opt-in', { preHandler: auth }, async (req) => manualOptIn(deps.pool, parseInput(manualOptInSchema, req.body, 'body'), 'api'));

    app.post('/api/consent/import', { onRequest: auth }, async (req, reply) => {
      const q = parseInput(importQuery, req.query, 'query');
      const body = req.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw new ValidationError([{ path: 'body', message: 'send the CSV as the request body with content-type text/csv' }]);
      const limited = body.pipe(limitBytes(maxBytes));
      body.on('error', (err) => limited.destroy(err));
      try {
        const summary = await importSuppressionList(deps.pool, limited, { fileName: q.filename ?? 'upload.csv', region: q.region, source: q.source });
        return reply.code(201).send(summary);
      } catch (err) {
        if (!body.readableEnded) reply.header('connection', 'close');
        throw err;
      }
    });

    app.get('/api/consent/export', { preHandler: auth }, async (req, reply) => {
      const { format } = parseInput(exportQuery, req.query, 'query');
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="consent.${format}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(exportLines(deps.pool, format)));
    });
  };
}
