import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Structured logs go to stderr so that stdout stays for command output (JSON, reports). */
export function createLogger(level: LevelWithSilent = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings } }, pino.destination({ fd: 2, sync: false }));
}
