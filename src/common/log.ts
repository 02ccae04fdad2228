import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs (pino). The level comes from AMBIT_LOG_LEVEL (default "info"); tests set
 * it to "silent". Secrets (tokens, keys) must never be passed to a logger: redact paths below
 * are a second line of defence, not the first.
 */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    name: component,
    level: process.env.AMBIT_LOG_LEVEL ?? "info",
    base: { component, ...bindings },
    redact: {
      paths: ["token", "*.token", "authorization", "*.authorization", "key", "*.key"],
      censor: "[redacted]",
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
