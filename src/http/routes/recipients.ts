import type { Readable } from 'node:stream';
import { z } from 'zod';
import { findCampaignForImport } from '../../campaigns/definition.ts';
import { importRecipients } from '../../campaigns/import/import-recipients.ts';
import { rejectionsCsvResponse } from '../../campaigns/import/rejections-csv.ts';
import type { Database } from '../../db/database.ts';
import { ValidationError } from '../../lib/errors.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, importParamsSchema, parseInput, urlText } from '../input.ts';
import type { RouteModule } from '../server.ts';
import { CSV_TYPES, limitBytes } from '../upload.ts';

export interface RecipientRouteDeps {
  db: Pick<Database, 'pool'>;
  /** BLUECAST_API_TOKEN; without it the routes answer 503 (requireBearer). */
  apiToken: string | undefined;
  /** Largest upload accepted (bytes). */
  maxUploadBytes?: number;
  /** Rejected rows included in the answer (all are stored). */
  rejectedInAnswer?: number;
}

export const uploadQuerySchema = z.object({
  filename: urlText(255).optional(),
  phone_column: urlText(100).optional(),
  region: z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code').optional(),
});

/**
 * POST /api/campaigns/:id/recipients — a CSV body, streamed into the import
 * (never held whole in memory); answers the import summary. `:id` is a
 * campaign id or name; ?filename=, ?phone_column=, ?region= as on the CLI.
 * GET /api/imports/:importId/rejections — every row of that import left out
 * (invalid, duplicate, opted out) as CSV: line,kind,reason,raw.
 */
export function recipientRoutes(deps: RecipientRouteDeps): RouteModule {
  const maxBytes = deps.maxUploadBytes ?? 2 * 1024 ** 3;
  return (app) => {
    // The raw request stream is the body: the import reads it as it arrives.
    app.addContentTypeParser(CSV_TYPES, { bodyLimit: maxBytes }, (_req, payload, done) => done(null, payload));
    // Auth on onRequest: an unauthorised upload is refused before its body is read.
    const auth = requireBearer(deps.apiToken);

    app.post('/api/campaigns/:id/recipients', { onRequest: auth }, async (req, reply) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const query = parseInput(uploadQuerySchema, req.query, 'query');
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function') {
        throw new ValidationError([{ path: 'body', message: `send the CSV as the request body with content-type text/csv` }]);
      }
      const campaign = await findCampaignForImport(deps.db.pool, id);
      const limited = body.pipe(limitBytes(maxBytes));
      body.on('error', (err) => limited.destroy(err));
      let summary;
      try {
        summary = await importRecipients(deps.db, campaign, limited, {
          fileName: query.filename ?? 'upload.csv',
          phoneColumn: query.phone_column,
          region: query.region,
          rejectionSample: deps.rejectedInAnswer ?? 100,
        });
      } catch (err) {
        // Refused before the end of the upload: the rest of the body will not be
        // read, so this connection cannot carry another request (and would hold
        // up the server's close); end it once the answer is out.
        if (!body.readableEnded) reply.header('connection', 'close');
        throw err;
      }
      const { rejected, ...rest } = summary;
      return reply.code(201).send({ ...rest, rejected, rejectedShown: rejected.length });
    });

    app.get('/api/imports/:importId/rejections', { onRequest: auth }, async (req, reply) => {
      const { importId } = parseInput(importParamsSchema, req.params, 'path');
      const csv = await rejectionsCsvResponse(deps.db.pool, importId);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${csv.fileName}"`)
        .header('cache-control', 'no-store')
        .send(csv.stream);
    });
  };
}
