import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { reportCampaign } from '../../db/sql/report-campaign.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { rejectionsCsvResponse } from '../../campaigns/import/rejections-csv.ts';
import { recipientsCsvStream } from '../../reports/csv.ts';
import { sameSecret } from '../auth.ts';
import { loginPage as loginHtml } from '../dashboard/login-page.ts';
import { campaignParamsSchema, importParamsSchema, parseInput, runIdSchema } from '../input.ts';
import type { RouteModule } from '../server.ts';
import { createSessionStore, type SessionLifetimes } from '../sessions.ts';

export interface DashboardRouteDeps {
  pool: pg.Pool;
  /** BLUECAST_API_TOKEN: the password of the login form. Without it the dashboard is closed. */
  apiToken: string | undefined;
  /**
   * PUBLIC_URL: when it is https the session cookie is always Secure. It is
   * also Secure when the request itself came over https, which behind a proxy
   * fastify only believes with TRUST_PROXY (X-Forwarded-Proto).
   */
  publicUrl?: string;
  /** Largest upload the dashboard forwards to the import API (bytes). */
  uploadLimit?: number;
  sessionLifetimes?: SessionLifetimes;
  /** Login attempts allowed per client address and window (default 10 a minute). */
  loginRateLimit?: { max: number; timeWindowMs: number };
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
  'dom.js': { file: path.join(DASHBOARD_DIR, 'dom.js'), type: 'text/javascript; charset=utf-8' },
  'campaign-setup.js': { file: path.join(DASHBOARD_DIR, 'campaign-setup.js'), type: 'text/javascript; charset=utf-8' },
  'campaign-form.js': { file: path.join(DASHBOARD_DIR, 'campaign-form.js'), type: 'text/javascript; charset=utf-8' },
  'campaign-list.js': { file: path.join(DASHBOARD_DIR, 'campaign-list.js'), type: 'text/javascript; charset=utf-8' },
  'campaign-manage.js': { file: path.join(DASHBOARD_DIR, 'campaign-manage.js'), type: 'text/javascript; charset=utf-8' },
  'chart.js': { file: path.join(DASHBOARD_DIR, 'chart.js'), type: 'text/javascript; charset=utf-8' },
  'send-forms.js': { file: path.join(DASHBOARD_DIR, 'send-forms.js'), type: 'text/javascript; charset=utf-8' },
  'live-state.js': { file: path.join(DASHBOARD_DIR, 'live-state.js'), type: 'text/javascript; charset=utf-8' },
  'run-picker.js': { file: path.join(DASHBOARD_DIR, 'run-picker.js'), type: 'text/javascript; charset=utf-8' },
  'recipient-lookup.js': { file: path.join(DASHBOARD_DIR, 'recipient-lookup.js'), type: 'text/javascript; charset=utf-8' },
  'plan.js': { file: path.join(DASHBOARD_DIR, 'plan.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: path.join(DASHBOARD_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'inbox.js': { file: path.join(DASHBOARD_DIR, 'inbox.js'), type: 'text/javascript; charset=utf-8' },
  'inbox-widgets.js': { file: path.join(DASHBOARD_DIR, 'inbox-widgets.js'), type: 'text/javascript; charset=utf-8' },
  'inbox-events.js': { file: path.join(DASHBOARD_DIR, 'inbox-events.js'), type: 'text/javascript; charset=utf-8' },
  'inbox.css': { file: path.join(DASHBOARD_DIR, 'inbox.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: path.join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: path.join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** The login form is a token of at most 1,000 characters: nothing bigger is read. */
const LOGIN_BODY_LIMIT = 4 * 1024;

/**
 * `/api/…` for the part of a `/ui/api/…` URL after the prefix, or undefined.
 * The check is on the decoded path: a `..` or `.` segment, an encoded slash,
 * a backslash or anything outside the characters of our API paths (names are
 * [A-Za-z0-9._-]) would let the proxy reach routes outside /api.
 */
export function apiTargetOf(rawUrl: string): string | undefined {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!rawPath.startsWith('/ui/api/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.slice('/ui/api/'.length));
  } catch {
    return undefined;
  }
  const segments = decoded.split('/');
  if (!segments.every((s) => /^[A-Za-z0-9._~-]+$/.test(s) && s !== '.' && s !== '..')) return undefined;
  return `/api/${segments.join('/')}${q < 0 ? '' : rawUrl.slice(q)}`;
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
    // Only the routes that ask for it (the login form) are limited.
    await app.register(fastifyRateLimit, { global: false });
    // The forwarded bodies (JSON, CSV) go on byte for byte; the login form is read here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: uploadLimit }, (_req, body, done) => done(null, body));

    const token = deps.apiToken;
    const sessions = token ? createSessionStore(deps.pool, token, deps.sessionLifetimes) : undefined;
    const signedIn = async (req: FastifyRequest) => (sessions ? sessions.check(req.cookies[SESSION_COOKIE]) : false);
    const alwaysSecure = deps.publicUrl?.startsWith('https:') ?? false;
    const loginLimit = deps.loginRateLimit ?? { max: 10, timeWindowMs: 60_000 };
    const page = async (reply: FastifyReply, html: string | Buffer, status = 200) =>
      reply
        .code(status)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(html);

    const loginPage = (reply: FastifyReply, notice?: 'wrong' | 'disabled' | 'throttled') =>
      page(reply, loginHtml(notice), notice === 'disabled' ? 503 : notice === 'throttled' ? 429 : notice ? 401 : 200);

    // A throttled sign-in is answered with the form and a sentence, as a person
    // at the login page expects; every other error goes on to the server's handler.
    app.setErrorHandler((err: Error & { loginThrottled?: boolean }, _req, reply) => {
      if (err.loginThrottled) return loginPage(reply, 'throttled');
      throw err;
    });

    app.get('/', async (req, reply) => {
      if (!token) return loginPage(reply, 'disabled');
      return (await signedIn(req)) ? page(reply, await readFile(path.join(DASHBOARD_DIR, 'index.html'))) : loginPage(reply);
    });
    app.get('/login', async (_req, reply) => loginPage(reply, token ? undefined : 'disabled'));

    // The rate limit runs on onRequest, so a guess over the limit is refused before its body is read.
    const throttled = () => Object.assign(new Error('too many sign-in attempts'), { statusCode: 429, loginThrottled: true });
    const loginRoute = {
      bodyLimit: LOGIN_BODY_LIMIT,
      config: { rateLimit: { max: loginLimit.max, timeWindow: loginLimit.timeWindowMs, errorResponseBuilder: throttled } },
    };
    app.post('/login', loginRoute, async (req, reply) => {
      if (!token || !sessions) return loginPage(reply, 'disabled');
      const form = Object.fromEntries(new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''));
      const parsed = loginSchema.safeParse(form);
      if (!parsed.success || !sameSecret(parsed.data.token, token)) return loginPage(reply, 'wrong');
      reply.setCookie(SESSION_COOKIE, await sessions.create(), {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: alwaysSecure || req.protocol === 'https',
        maxAge: sessions.lifetimes.absoluteSeconds,
      });
      return reply.code(303).header('location', '/').send();
    });

    app.post('/logout', { bodyLimit: LOGIN_BODY_LIMIT }, async (req, reply) => {
      await sessions?.end(req.cookies[SESSION_COOKIE]);
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

    // onRequest: the session is checked before a byte of the body is read.
    const requireSession = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!token) return reply.code(503).send({ error: 'the dashboard is disabled: set BLUECAST_API_TOKEN' });
      if (!(await signedIn(req))) return reply.code(401).send({ error: 'sign in again' });
      if (req.headers[UI_HEADER] !== '1') return reply.code(403).send({ error: `missing ${UI_HEADER} header` });
    };
    const requireSessionForLink = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!(await signedIn(req))) return reply.code(401).send({ error: 'sign in first' });
    };

    // The CSV export is a plain link (a download), so it cannot carry the UI
    // header; it only reads, and SameSite=Strict keeps other sites out.
    app.get('/ui/export/:id', { onRequest: requireSessionForLink }, async (req, reply) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const { run } = parseInput(z.object({ run: runIdSchema.optional() }), req.query, 'query');
      const c = await reportCampaign(deps.pool, id);
      if (!c) throw new NotFoundError(`campaign ${JSON.stringify(id)} not found`);
      const stream = await recipientsCsvStream(deps.pool, c.id, run ?? null);
      const name = `${c.name}${run ? `-run-${run}` : ''}-recipients.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });

    // Every row an import left out, as a download link like the export.
    app.get('/ui/rejections/:importId', { onRequest: requireSessionForLink }, async (req, reply) => {
      const { importId } = parseInput(importParamsSchema, req.params, 'path');
      const csv = await rejectionsCsvResponse(deps.pool, importId);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${csv.fileName}"`)
        .header('cache-control', 'no-store')
        .send(csv.stream);
    });

    app.all('/ui/api/*', { onRequest: requireSession, bodyLimit: uploadLimit }, async (req, reply) => {
      const target = apiTargetOf(req.url);
      if (!target) throw new NotFoundError('no such API route');
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      const contentType = req.headers['content-type'];
      if (contentType) headers['content-type'] = contentType;
      // The inbox polls with If-None-Match: an unchanged list stays a 304 through the proxy.
      const ifNoneMatch = req.headers['if-none-match'];
      if (typeof ifNoneMatch === 'string') headers['if-none-match'] = ifNoneMatch;
      const res = await app.inject({
        method: req.method as 'GET',
        url: target,
        headers,
        ...(Buffer.isBuffer(req.body) ? { payload: req.body } : {}),
      });
      for (const h of ['content-type', 'content-disposition', 'retry-after', 'etag'] as const) {
        const v = res.headers[h];
        if (v !== undefined) reply.header(h, v);
      }
      return reply.code(res.statusCode).header('cache-control', 'no-store').send(res.rawPayload);
    });
  };
}
