/**
 * Domain errors. Each carries what a caller needs to decide what to do; the
 * edges (CLI, HTTP) map them to exit codes and status codes.
 */
export class BluecastError extends Error {
  override readonly name: string = 'BluecastError';
}

/** An environment variable has a bad value. */
export class ConfigError extends BluecastError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Input that does not validate: a CLI flag, an API body, a file, a row. */
export class ValidationError extends BluecastError {
  override readonly name = 'ValidationError';
  constructor(
    readonly issues: { path: string; message: string }[],
    readonly where?: string,
  ) {
    const prefix = where ? `${where}: ` : '';
    super(`${prefix}invalid input:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
  }
}

export class NotFoundError extends BluecastError {
  override readonly name = 'NotFoundError';
}

/** A state change that the current state does not allow. */
export class ConflictError extends BluecastError {
  override readonly name: string = 'ConflictError';
}

/** A migration problem: a changed applied file, a failed statement. */
export class MigrationError extends BluecastError {
  override readonly name = 'MigrationError';
}

/** A plan check that stops a launch (src/planner/checks.ts, level "block"). */
export interface LaunchBlock {
  id: string;
  message: string;
  fix: string;
}

/**
 * Scheduling refused: the campaign's launch plan has "block" checks. The
 * override (`--ignore-blocks`, `ignoreBlocks: true`) is the caller's to give.
 */
export class LaunchBlockedError extends ConflictError {
  override readonly name = 'LaunchBlockedError';
  constructor(
    campaign: string,
    readonly blocks: LaunchBlock[],
  ) {
    super(
      `campaign "${campaign}" cannot be scheduled: its launch plan has ${blocks.length} blocking check(s):\n` +
        blocks.map((b) => `  ${b.id}: ${b.message}\n    fix: ${b.fix}`).join('\n') +
        '\n(fix them, or override with --ignore-blocks / ignoreBlocks: true)',
    );
  }
}
