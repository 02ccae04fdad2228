/** A pino logger whose JSON lines a test can read back. */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface CapturedLog {
  log: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
  /** The lines at warn level (pino's 40). */
  warnings(): Record<string, unknown>[];
}

export function capturingLogger(): CapturedLog {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  const lines = () =>
    out
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    log: pino({ level: "debug" }, sink),
    lines,
    warnings: () => lines().filter((l) => l.level === 40),
  };
}
