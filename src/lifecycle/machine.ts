/**
 * A status machine as the database applies it: for each target status, the
 * statuses a row may be in to move there. Statements take their allowed-from
 * set from here as a parameter (`WHERE status = ANY($n)`), so the map is the
 * only place an edge is decided, and every set a statement asks for is checked
 * against it when its module loads.
 */
export interface Machine<S extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  /** Target → allowed sources. */
  readonly transitions: Readonly<Record<S, readonly S[]>>;
  canTransition(from: S, to: S): boolean;
  /**
   * The sources a statement moving rows to `to` may match: every status that
   * may move to all of `to` (a CASE choosing among several targets needs a
   * source each of them accepts), narrowed to `only` when given. Throws when a
   * status of `only` may not move there: a statement asking for a forbidden
   * edge fails at load, not in production.
   */
  from(to: S | readonly S[], only?: readonly S[]): S[];
  /**
   * The one source of a statement that must compare the status with `=`: an
   * ordered index scan (a claim's `ORDER BY next_attempt_at LIMIT n` over the
   * (status, next_attempt_at) index) is only planned for an equality, never
   * for `= ANY(array)`, which reads and sorts every matching row instead.
   * Checked like from().
   */
  fromOne(to: S | readonly S[], only: S): S;
  /** Every edge some statement asked for through from(), as "from→to". */
  edgesInUse(): ReadonlySet<string>;
  /** Every edge of the map, as "from→to". */
  edges(): string[];
}

export function defineMachine<S extends string>(name: string, statuses: readonly S[], transitions: Record<S, readonly S[]>): Machine<S> {
  const used = new Set<string>();
  const can = (from: S, to: S) => transitions[to].includes(from);
  return {
    name,
    statuses,
    transitions,
    canTransition: can,
    from(to, only) {
      const targets: readonly S[] = typeof to === 'string' ? [to as S] : (to as readonly S[]);
      const candidates = only ?? statuses;
      const out: S[] = [];
      for (const s of candidates) {
        if (targets.every((t) => can(s, t))) out.push(s);
        else if (only) throw new Error(`${name}: no edge ${s} → ${targets.filter((t) => !can(s, t)).join(', ')}`);
      }
      for (const s of out) for (const t of targets) used.add(`${s}→${t}`);
      return out;
    },
    fromOne(to, only) {
      return this.from(to, [only])[0]!;
    },
    edgesInUse: () => used,
    edges: () => statuses.flatMap((to) => transitions[to].map((from) => `${from}→${to}`)),
  };
}
