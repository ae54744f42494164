import type pg from 'pg';

/** A pool or a checked-out client: report statements run on either. */
export type Queryable = Pick<pg.ClientBase, 'query'>;
