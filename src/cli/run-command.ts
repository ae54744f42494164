import { InvalidArgumentError } from 'commander';
import type { App, OpenAppOptions } from '../app.ts';
import { BluecastError, ConfigError, ValidationError } from '../lib/errors.ts';
import { ExitCode } from './exit-codes.ts';

/** Thrown by commands to end with a chosen exit code after printing `message`. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}

/** Run a command body with an opened App, closing it whatever happens. */
export async function withApp<T>(fn: (app: App) => Promise<T>, opts: OpenAppOptions = {}): Promise<T> {
  // Loaded here, not at the top: `--help` must not pay for Prisma, pg and pino (src/cli/main.ts).
  const { openApp } = await import('../app.ts');
  const app = await openApp(opts);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Map an error from a command to an exit code and a message for stderr. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof CliExit) return { code: err.code, message: err.message };
  if (err instanceof ConfigError || err instanceof ValidationError) return { code: ExitCode.usage, message: err.message };
  // A command's own check of a flag or argument in its action (the message names which and the value, e.g.
  // `--line: "x" is not a phone number`); commander prints only what its option parsers throw, not these.
  if (err instanceof InvalidArgumentError) return { code: ExitCode.usage, message: `error: ${err.message}` };
  if (err instanceof BluecastError) return { code: ExitCode.failure, message: `${err.name}: ${err.message}` };
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED') return { code: ExitCode.failure, message: `cannot connect: ${err.message}` };
    // A library's own message (Prisma's quotes our source and its query) is for
    // a developer, not for the person at the terminal: a short line instead.
    if (err.name.startsWith('PrismaClient') || /^[0-9A-Z]{5}$/.test(code ?? '')) {
      return { code: ExitCode.failure, message: `database error${code ? ` ${code}` : ''}: the command could not be completed` };
    }
    return { code: ExitCode.failure, message: `error: ${shortLine(err.message)}` };
  }
  return { code: ExitCode.failure, message: `error: ${shortLine(String(err))}` };
}

/** The first non-empty line of a message, at most 200 characters. */
function shortLine(message: string): string {
  const line = message.split('\n').map((l) => l.trim()).find(Boolean) ?? 'unexpected failure';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
