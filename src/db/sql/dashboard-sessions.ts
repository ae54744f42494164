import type { Queryable } from './queryable.ts';

/**
 * A new dashboard session. Why this shape: the row is keyed by a hash of the
 * cookie value (never the value), and expires_at fixes the absolute lifetime
 * at login; the same statement clears sessions that have ended, so the table
 * holds only live ones without a sweeper of its own.
 */
export async function insertDashboardSession(
  db: Queryable,
  s: { idHash: string; tokenTag: string; absoluteSeconds: number; idleSeconds: number },
): Promise<void> {
  await db.query({
    name: 'sessions.insert',
    text: `WITH gone AS (
             DELETE FROM dashboard_sessions
              WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $4::float8)
           )
           INSERT INTO dashboard_sessions (id_hash, token_tag, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3::float8))`,
    values: [s.idHash, s.tokenTag, s.absoluteSeconds, s.idleSeconds],
  });
}

/**
 * Whether a session is live, extending its idle lifetime when it is. Why this
 * shape: one conditional UPDATE decides and touches at once; a session made
 * under another API token, past its absolute end or idle too long matches no
 * row. last_seen_at is only rewritten when it is a minute old, so that a
 * dashboard polling every few seconds does not write on every request.
 */
export async function touchDashboardSession(db: Queryable, s: { idHash: string; tokenTag: string; idleSeconds: number }): Promise<boolean> {
  const res = await db.query({
    name: 'sessions.touch',
    text: `WITH live AS (
             SELECT id_hash, last_seen_at FROM dashboard_sessions
              WHERE id_hash = $1 AND token_tag = $2 AND expires_at > now()
                AND last_seen_at > now() - make_interval(secs => $3::float8)
           ), touched AS (
             UPDATE dashboard_sessions d SET last_seen_at = now()
               FROM live WHERE d.id_hash = live.id_hash AND live.last_seen_at < now() - interval '1 minute'
           )
           SELECT 1 FROM live`,
    values: [s.idHash, s.tokenTag, s.idleSeconds],
  });
  return (res.rowCount ?? 0) > 0;
}

/** Logout: the session is gone server-side, whatever the browser keeps. */
export async function deleteDashboardSession(db: Queryable, idHash: string): Promise<void> {
  await db.query({ name: 'sessions.delete', text: `DELETE FROM dashboard_sessions WHERE id_hash = $1`, values: [idHash] });
}
