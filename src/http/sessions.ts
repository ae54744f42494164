import { createHash, createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { deleteDashboardSession, insertDashboardSession, touchDashboardSession } from '../db/sql/dashboard-sessions.ts';

export interface SessionLifetimes {
  /** A session unused for this long ends (seconds). */
  idleSeconds: number;
  /** A session ends this long after login, used or not (seconds). */
  absoluteSeconds: number;
}

export const DEFAULT_SESSION_LIFETIMES: SessionLifetimes = { idleSeconds: 2 * 3600, absoluteSeconds: 12 * 3600 };

export interface SessionStore {
  /** A new session for a successful login; returns the cookie value. */
  create(): Promise<string>;
  /** Whether the cookie value names a live session (and keeps it alive). */
  check(value: string | undefined): Promise<boolean>;
  /** Ends the session server-side. */
  end(value: string | undefined): Promise<void>;
  readonly lifetimes: SessionLifetimes;
}

// 256 random bits, URL-safe: the cookie value is the whole secret.
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Dashboard sessions kept in PostgreSQL (dashboard_sessions): a random id per
 * login, revocable by logout, with idle and absolute lifetimes. Each is tied
 * to the API token it was opened with, so rotating BLUECAST_API_TOKEN ends them.
 */
export function createSessionStore(pool: pg.Pool, apiToken: string, lifetimes: SessionLifetimes = DEFAULT_SESSION_LIFETIMES): SessionStore {
  const tokenTag = createHmac('sha256', apiToken).update('bluecast dashboard session v2').digest('hex');
  return {
    lifetimes,
    async create() {
      const value = randomBytes(32).toString('base64url');
      await insertDashboardSession(pool, { idHash: hashOf(value), tokenTag, ...lifetimes });
      return value;
    },
    async check(value) {
      if (!value || !COOKIE_VALUE.test(value)) return false;
      return touchDashboardSession(pool, { idHash: hashOf(value), tokenTag, idleSeconds: lifetimes.idleSeconds });
    },
    async end(value) {
      if (value && COOKIE_VALUE.test(value)) await deleteDashboardSession(pool, hashOf(value));
    },
  };
}
