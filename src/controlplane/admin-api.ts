/**
 * The control plane's admin and debug HTTP API on the debug port (15014), bound to localhost by
 * default. Writes (`ambit apply/delete`) and reads of config need the admin token (a file in the
 * state directory, mode 0600, read by the CLI); /ready and /version are open. This module is the
 * one place where store results become HTTP statuses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { parseText, parseTexts } from "../api/load.js";
import { findKind } from "../api/kinds/define.js";
import { groupOf, keyOf, type Resource } from "../api/resource.js";
import type { Finding } from "../api/findings.js";
import { AmbitError, errorText } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { ConfigStore } from "./store/store.js";

export interface AdminApiDeps {
  store: ConfigStore;
  adminToken: string;
  log: Logger;
  version: string;
  /** Connected proxies and their xDS sync state (`ambit proxy-status`). */
  proxyStatus: () => unknown;
  /** Derived registry: workloads, services, authorizations. */
  registry: () => unknown;
  /** Pods as scheduled, Deployment pods included (what `ambit get pods` lists). */
  pods?: () => Resource[];
  /** Extra sections for /debug/config_dump. */
  configDump?: () => Record<string, unknown>;
}

const MAX_BODY = 16 * 1024 * 1024;

interface FilePayload {
  name: string;
  text: string;
}

type Handler = (
  req: IncomingMessage,
  url: URL,
  body: unknown,
) => Promise<[number, unknown]> | [number, unknown];

export function createAdminApi(deps: AdminApiDeps): Server {
  const routes: Record<string, Handler> = {
    "GET /ready": () => [200, { ready: true }],
    "GET /version": () => [200, { version: deps.version }],
    "POST /apis/v1/apply": (_r, _u, body) => apply(deps, files(body)),
    "POST /apis/v1/delete": (_r, _u, body) => del(deps, files(body)),
    "GET /apis/v1/objects": (_r, url) => [
      200,
      objects(
        deps,
        url.searchParams.get("kind") ?? undefined,
        url.searchParams.get("namespace") ?? undefined,
      ),
    ],
    "GET /apis/v1/changes": () => [200, deps.store.changes()],
    "GET /debug/syncz": () => [200, deps.proxyStatus()],
    "GET /debug/registryz": () => [200, deps.registry()],
    "GET /debug/config_dump": () => [
      200,
      {
        revision: deps.store.current().revision,
        objects: [...deps.store.current().objects.values()].map((o) => ({ ...o.resource, source: o.source })),
        directoryErrors: deps.store.dirFindings,
        registry: deps.registry(),
        proxies: deps.proxyStatus(),
        ...(deps.configDump?.() ?? {}),
      },
    ],
  };
  const open = new Set(["GET /ready", "GET /version"]);

  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = `${req.method} ${url.pathname}`;
    const handler = routes[route];
    if (!handler) return send(res, 404, { error: `no such endpoint: ${route}`, code: "NOT_FOUND" });
    if (!open.has(route) && !authorized(req, deps.adminToken))
      return send(res, 401, {
        error: "missing or wrong admin token",
        code: "UNAUTHENTICATED",
        hint: "the CLI reads it from <state-dir>/admin-token; run as the user that started the control plane",
      });
    readBody(req)
      .then((body) => handler(req, url, body))
      .then(([status, payload]) => send(res, status, payload))
      .catch((e: unknown) => {
        const status = e instanceof AmbitError && e.code === "BAD_REQUEST" ? 400 : 500;
        if (status === 500) deps.log.error({ route, err: errorText(e) }, "admin API request failed");
        send(res, status, { error: errorText(e), code: e instanceof AmbitError ? e.code : "INTERNAL" });
      });
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (req.method === "GET") return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new AmbitError("BAD_REQUEST", "request body too large (16 MiB max)");
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new AmbitError("BAD_REQUEST", "request body is not JSON");
  }
}

function files(body: unknown): FilePayload[] {
  const list = (body as { files?: unknown })?.files;
  if (!Array.isArray(list) || !list.every((f) => typeof f?.name === "string" && typeof f?.text === "string"))
    throw new AmbitError("BAD_REQUEST", 'body must be {"files":[{"name":..., "text":...}]}');
  return list as FilePayload[];
}

function apply(deps: AdminApiDeps, payload: FilePayload[]): [number, unknown] {
  const { documents, findings } = parseTexts(payload);
  const result = deps.store.apply(documents, { kind: "api" }, findings);
  return [result.ok ? 200 : 422, result];
}

/** `delete -f`: objects are named by apiVersion, kind, namespace and name; specs are not validated (as kubectl). */
function del(deps: AdminApiDeps, payload: FilePayload[]): [number, unknown] {
  const keys: string[] = [];
  const findings: Finding[] = [];
  for (const f of payload) {
    const r = parseText(f.text, f.name);
    findings.push(...r.findings);
    for (const d of r.documents) {
      const v = d.value as {
        apiVersion?: unknown;
        kind?: unknown;
        metadata?: { name?: unknown; namespace?: unknown };
      };
      if (
        typeof v?.apiVersion !== "string" ||
        typeof v.kind !== "string" ||
        typeof v.metadata?.name !== "string"
      ) {
        findings.push({
          severity: "error",
          code: "MISSING_FIELD",
          message: "apiVersion, kind and metadata.name are required to delete",
          file: d.file,
          docIndex: d.docIndex,
        });
        continue;
      }
      // Same defaulting as validation: namespaced kinds default to "default", cluster-scoped take none.
      const namespaced = findKind(groupOf(v.apiVersion), v.kind)?.namespaced !== false;
      const namespace = !namespaced
        ? undefined
        : typeof v.metadata.namespace === "string"
          ? v.metadata.namespace
          : "default";
      keys.push(
        keyOf({
          apiVersion: v.apiVersion,
          kind: v.kind,
          metadata: { name: v.metadata.name, ...(namespace ? { namespace } : {}) },
        }),
      );
    }
  }
  if (findings.some((f) => f.severity === "error")) return [422, { ok: false, findings }];
  const result = deps.store.delete(keys);
  return [
    result.ok ? 200 : result.findings.every((f) => f.message.endsWith("not found")) ? 404 : 409,
    result,
  ];
}

/** Stored objects of a kind; for pods, every scheduled pod (those a Deployment made are marked so). */
function objects(deps: AdminApiDeps, kind: string | undefined, namespace: string | undefined): unknown[] {
  const stored = deps.store.list({ ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}) });
  if (kind?.toLowerCase() !== "pod" || !deps.pods)
    return stored.map((o) => ({ ...o.resource, source: o.source }));
  const sources = new Map(stored.map((o) => [keyOf(o.resource), o.source]));
  return deps
    .pods()
    .filter((p) => !namespace || p.metadata.namespace === namespace)
    .map((p) => ({ ...p, source: sources.get(keyOf(p)) ?? { kind: "generated" } }));
}
