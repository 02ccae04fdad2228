/**
 * Errors that reach an operator carry a stable code (for docs, scripts and tests) and a hint
 * saying what to do about it. Turning them into exit codes, gRPC statuses or HTTP statuses
 * happens at the edges (cli/, controlplane/admin-api.ts, the gRPC services), never here.
 */
export class AmbitError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AmbitError";
    this.code = code;
    this.hint = hint;
  }

  /** One line for a terminal or a log: `message (CODE) — hint`. */
  describe(): string {
    return this.hint ? `${this.message} (${this.code}) — ${this.hint}` : `${this.message} (${this.code})`;
  }
}

export function isAmbitError(e: unknown): e is AmbitError {
  return e instanceof AmbitError;
}

/** Best-effort text of anything thrown, for logs and CLI output. */
export function errorText(e: unknown): string {
  if (e instanceof AmbitError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
