/** Talks to the control plane's admin API (port 15014, localhost) with the admin token. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AmbitError } from "../common/errors.js";
import { defaultStateDir, PORTS } from "../common/paths.js";
import { localLayout } from "../local/layout.js";
import { runningRecord } from "../local/record.js";
import type { GlobalOpts } from "./globals.js";

export interface AdminTarget {
  url: string;
  stateDir: string;
  /** Where the admin token is: the control plane's state directory. */
  tokenFile: string;
}

/**
 * The control plane the CLI talks to: --controlplane / $AMBIT_CONTROLPLANE if given; else the
 * local cluster's embedded control plane when `ambit up` is running; else localhost:15014.
 */
export function adminTarget(opts: GlobalOpts): AdminTarget {
  const stateDir = opts.stateDir ?? defaultStateDir();
  const explicit = opts.controlplane ?? process.env.AMBIT_CONTROLPLANE;
  const layout = localLayout(stateDir);
  const local = explicit ? undefined : runningRecord(layout.record);
  if (local?.debugAddress)
    return {
      url: `http://${local.debugAddress}`,
      stateDir,
      tokenFile: join(layout.controlPlaneDir, "admin-token"),
    };
  return {
    url: explicit ?? `http://127.0.0.1:${PORTS.debug}`,
    stateDir,
    tokenFile: join(stateDir, "admin-token"),
  };
}

function token(t: AdminTarget): string {
  if (process.env.AMBIT_ADMIN_TOKEN) return process.env.AMBIT_ADMIN_TOKEN;
  const file = t.tokenFile;
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new AmbitError(
      "ADMIN_TOKEN_UNREADABLE",
      `cannot read the admin token at ${file}`,
      "run as the user that started the control plane, or pass --state-dir (or AMBIT_STATE_DIR) pointing at its state directory",
    );
  }
}

export async function adminRequest<T>(
  t: AdminTarget,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(`${t.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token(t)}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    if (e instanceof AmbitError) throw e;
    throw new AmbitError(
      "CONTROLPLANE_UNREACHABLE",
      `cannot reach the control plane at ${t.url}`,
      "is it running? start it with `ambit controlplane` (or `ambit up`), or point --controlplane at it",
      { cause: e },
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AmbitError(
      "CONTROLPLANE_BAD_RESPONSE",
      `unexpected answer from ${t.url}${path}: HTTP ${res.status}`,
    );
  }
  if (res.status === 401) {
    const p = parsed as { error?: string; hint?: string };
    throw new AmbitError("UNAUTHENTICATED", p.error ?? "unauthenticated", p.hint);
  }
  return { status: res.status, body: parsed as T };
}
