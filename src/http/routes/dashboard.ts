import { createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { reportCampaign } from '../../db/sql/report-campaign.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { recipientsCsvStream } from '../../reports/csv.ts';
import { sameSecret } from '../auth.ts';
import { loginPage as loginHtml } from '../dashboard/login-page.ts';
import type { RouteModule } from '../server.ts';

export interface DashboardRouteDeps {
  pool: pg.Pool;
  /** BLUECAST_API_TOKEN: the password of the login form. Without it the dashboard is closed. */
  apiToken: string | undefined;
  /** Mark the session cookie Secure (behind HTTPS). */
  secureCookie?: boolean;
  /** Largest upload the dashboard forwards to the import API (bytes). */
  uploadLimit?: number;
}

export const SESSION_COOKIE = 'bluecast_session';
/** Every dashboard API call carries it: a cross-site form cannot, and a cross-site fetch with it needs CORS we never grant. */
export const UI_HEADER = 'x-bluecast-ui';

const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));
const require = createRequire(import.meta.url);
const UPLOT_DIR = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

/** The only files served: no path from a request ever reaches the file system. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'app.js': { file: path.join(DASHBOARD_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: path.join(DASHBOARD_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: path.join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: path.join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/**
 * The session cookie holds a MAC of the token, not the token: stateless, and
 * every session ends when the token is rotated.
 */
function sessionValue(token: string): string {
  return createHmac('sha256', token).update('bluecast dashboard session v1').digest('base64url');
}

const loginSchema = z.object({ token: z.string().min(1).max(1000) });

/**
 * The dashboard at `/`: a login form (the API token) setting an HttpOnly
 * SameSite=Strict cookie, the single-page app and its static files (uPlot
 * served from node_modules, no CDN), and `/ui/api/*`, which forwards to the
 * bearer-protected `/api/*` routes with the token added, so the page uses the
 * very API that scripts use and shows the same numbers.
 */
export function dashboardRoutes(deps: DashboardRouteDeps): RouteModule {
  const uploadLimit = deps.uploadLimit ?? 50 * 1024 * 1024;
  return async (app) => {
    await app.register(fastifyCookie);
    // The forwarded bodies (JSON, CSV) go on byte for byte; the login form is read here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: uploadLimit }, (_req, body, done) => done(null, body));

    const token = deps.apiToken;
    const signedIn = (req: FastifyRequest) => {
      const value = req.cookies[SESSION_COOKIE];
      return Boolean(token && value && sameSecret(value, sessionValue(token)));
    };
    const page = async (reply: FastifyReply, html: string | Buffer, status = 200) =>
      reply
        .code(status)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(html);

    const loginPage = (reply: FastifyReply, notice?: 'wrong' | 'disabled') =>
      page(reply, loginHtml(notice), notice === 'disabled' ? 503 : notice ? 401 : 200);

    app.get('/', async (req, reply) => {
      if (!token) return loginPage(reply, 'disabled');
      return signedIn(req) ? page(reply, await readFile(path.join(DASHBOARD_DIR, 'index.html'))) : loginPage(reply);
    });
    app.get('/login', async (_req, reply) => loginPage(reply, token ? undefined : 'disabled'));

    app.post('/login', async (req, reply) => {
      if (!token) return loginPage(reply, 'disabled');
      const form = Object.fromEntries(new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''));
      const parsed = loginSchema.safeParse(form);
      if (!parsed.success || !sameSecret(parsed.data.token, token)) return loginPage(reply, 'wrong');
      reply.setCookie(SESSION_COOKIE, sessionValue(token), {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookie ?? false,
        maxAge: 7 * 24 * 3600,
      });
      return reply.code(303).header('location', '/').send();
    });

    app.post('/logout', async (_req, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(303).header('location', '/login').send();
    });

    app.get('/assets/:file', async (req, reply) => {
      const asset = ASSETS[(req.params as { file: string }).file];
      if (!asset) throw new NotFoundError('no such asset');
      return reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(createReadStream(asset.file));
    });

    const requireSession = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!token) return reply.code(503).send({ error: 'the dashboard is disabled: set BLUECAST_API_TOKEN' });
      if (!signedIn(req)) return reply.code(401).send({ error: 'sign in again' });
      if (req.headers[UI_HEADER] !== '1') return reply.code(403).send({ error: `missing ${UI_HEADER} header` });
    };

    // The CSV export is a plain link (a download), so it cannot carry the UI
    // header; it only reads, and SameSite=Strict keeps other sites out.
    app.get('/ui/export/:id', async (req, reply) => {
      if (!token || !signedIn(req)) return reply.code(401).send({ error: 'sign in first' });
      const id = (req.params as { id: string }).id;
      const run = (req.query as { run?: string }).run;
      if (run !== undefined && !/^\d{1,9}$/.test(run)) throw new ValidationError([{ path: 'run', message: 'must be a run id' }], 'query');
      const c = await reportCampaign(deps.pool, id);
      if (!c) throw new NotFoundError(`campaign ${JSON.stringify(id)} not found`);
      const stream = await recipientsCsvStream(deps.pool, c.id, run === undefined ? null : Number(run));
      const name = `${c.name}${run ? `-run-${run}` : ''}-recipients.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });

    app.all('/ui/api/*', { preHandler: requireSession, bodyLimit: uploadLimit }, async (req, reply) => {
      const rest = (req.params as { '*': string })['*'];
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      const contentType = req.headers['content-type'];
      if (contentType) headers['content-type'] = contentType;
      const res = await app.inject({
        method: req.method as 'GET',
        url: `/api/${rest}${query}`,
        headers,
        ...(Buffer.isBuffer(req.body) ? { payload: req.body } : {}),
      });
      for (const h of ['content-type', 'content-disposition', 'retry-after'] as const) {
        const v = res.headers[h];
        if (v !== undefined) reply.header(h, v);
      }
      return reply.code(res.statusCode).header('cache-control', 'no-store').send(res.rawPayload);
    });
  };
}
