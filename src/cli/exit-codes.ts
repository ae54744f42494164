/** Process exit codes of the CLI. */
export const ExitCode = {
  ok: 0,
  /** A command ran and failed (provider error, database down...). */
  failure: 1,
  /** The invocation was wrong: unknown command, bad flag, bad config or input. */
  usage: 2,
} as const;
