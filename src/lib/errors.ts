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
  override readonly name = 'ConflictError';
}

/** A migration problem: a changed applied file, a failed statement. */
export class MigrationError extends BluecastError {
  override readonly name = 'MigrationError';
}
