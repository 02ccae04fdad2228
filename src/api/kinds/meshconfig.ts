/**
 * The mesh config (Istio MeshConfig): the `mesh` key of the `istio` ConfigMap in the root
 * namespace. It is not a Kubernetes kind, so this module registers nothing; it offers the schema
 * (meshconfig-schema.ts), `parseMeshConfig` (value -> config with Istio's defaults + findings) and
 * `validateMeshConfigText` (YAML text -> findings with paths relative to the mesh document).
 *
 * The fields Ambit uses are typed and checked (trust domain, root namespace, traffic policies,
 * extension providers, default providers, TLS settings, discovery selectors...); the rest of
 * Istio's fields are accepted as they are, and anything else is an unknown field.
 */
import { parseDocument, isNode, LineCounter } from "yaml";
import type { Finding, PathSegment } from "../findings.js";
import { formatPath } from "../findings.js";
import { matchGlob } from "../glob.js";
import { camelizeKnownFields, issuesToFindings } from "./meshconfig-issues.js";
import { knownCiphers, knownCurves } from "./meshconfig-fields.js";
import { BUILTIN_PROVIDERS, type ExtensionProvider } from "./meshconfig-providers.js";
import { meshConfigSchema, meshDeprecations, type MeshConfig } from "./meshconfig-schema.js";

export { meshConfigSchema, type MeshConfig } from "./meshconfig-schema.js";
export { trustDomain } from "./meshconfig-fields.js";
export {
  BUILTIN_PROVIDERS,
  PROVIDER_KINDS,
  providerKind,
  type ExtensionProvider,
  type ProviderKind,
} from "./meshconfig-providers.js";

/** Istio's built-in providers (prometheus, stackdriver, envoy) plus the configured ones; a configured name replaces a built-in. */
function withBuiltinProviders(configured: readonly ExtensionProvider[]): ExtensionProvider[] {
  const names = new Set(configured.map((p) => p.name));
  const builtins = BUILTIN_PROVIDERS.filter((b) => !names.has(b.name)).map((b) => structuredClone(b));
  return [...builtins, ...configured];
}

function warnings(mesh: MeshConfig): Finding[] {
  const out: Finding[] = [];
  const warn = (path: PathSegment[], message: string, code: string) =>
    out.push({ severity: "warning", code, message, path: formatPath(path) });
  const names = new Set(withBuiltinProviders(mesh.extensionProviders).map((p) => p.name));
  for (const kind of ["tracing", "metrics", "accessLogging"] as const)
    (mesh.defaultProviders[kind] ?? []).forEach((name, i) => {
      if (!names.has(name))
        warn(["defaultProviders", kind, i], `no extension provider named "${name}"`, "UNKNOWN_PROVIDER");
    });
  (mesh.tlsDefaults?.ecdhCurves ?? []).forEach((c, i) => {
    if (!knownCurves.has(c))
      warn(["tlsDefaults", "ecdhCurves", i], `unrecognized ECDH curve "${c}" is ignored`, "IGNORED_VALUE");
  });
  for (const where of ["tlsDefaults", "meshMTLS"] as const)
    (mesh[where]?.cipherSuites ?? []).forEach((c, i) => {
      // Like Istio, accept "ALL" and OpenSSL-style expressions ("-RC4", "+AES") unchecked.
      if (c !== "ALL" && /^[A-Za-z0-9]/.test(c) && !knownCiphers.has(c))
        warn([where, "cipherSuites", i], `unrecognized cipher suite "${c}" is ignored`, "IGNORED_VALUE");
    });
  return out;
}

/** The mesh config with every default applied: what an empty `mesh` means. */
export function defaultMeshConfig(): MeshConfig {
  const mesh = meshConfigSchema.parse({});
  mesh.extensionProviders = withBuiltinProviders([]);
  return mesh;
}

/**
 * Checks a mesh config value (already parsed from YAML/JSON) and applies Istio's defaults. Paths
 * in findings are relative to the mesh document ("extensionProviders[0].opentelemetry.port").
 * With errors, `mesh` is the default config: like Istio, Ambit takes a mesh config whole or not at all.
 */
export function parseMeshConfig(value: unknown): { mesh: MeshConfig; findings: Finding[] } {
  if (value === null || value === undefined) value = {};
  if (typeof value !== "object" || Array.isArray(value))
    return {
      mesh: defaultMeshConfig(),
      findings: [
        { severity: "error", code: "NOT_AN_OBJECT", message: "the mesh config must be a mapping of fields" },
      ],
    };
  const raw = camelizeKnownFields(meshConfigSchema, value);
  const findings: Finding[] = [];
  for (const d of meshDeprecations)
    for (const p of matchGlob(raw, d.path.split(".")))
      findings.push({
        severity: "warning",
        code: "DEPRECATED_FIELD",
        message: d.message,
        path: formatPath(p),
      });
  const parsed = meshConfigSchema.safeParse(raw);
  if (!parsed.success) {
    findings.unshift(...issuesToFindings(meshConfigSchema, raw, parsed.error.issues));
    return { mesh: defaultMeshConfig(), findings };
  }
  findings.push(...warnings(parsed.data));
  const mesh = parsed.data;
  mesh.extensionProviders = withBuiltinProviders(mesh.extensionProviders);
  return { mesh, findings };
}

/**
 * Validates the YAML text of a mesh config (ConfigMap `istio`, key `mesh`). Findings carry the
 * field path relative to the mesh document and, where known, the line within `text`.
 */
export function validateMeshConfigText(text: string): Finding[] {
  return parseMeshConfigText(text).findings;
}

/** Like validateMeshConfigText, and also returns the resulting config. */
export function parseMeshConfigText(text: string): { mesh: MeshConfig; findings: Finding[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0)
    return {
      mesh: defaultMeshConfig(),
      findings: doc.errors.map((err) => {
        const f: Finding = {
          severity: "error",
          code: "YAML_SYNTAX",
          message: `YAML syntax error: ${err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
        };
        const pos = err.linePos?.[0];
        if (pos) {
          f.line = pos.line;
          f.column = pos.col;
        }
        return f;
      }),
    };
  const result = parseMeshConfig(doc.toJS({ maxAliasCount: 100 }));
  for (const f of result.findings) {
    if (f.path === undefined) continue;
    // A missing field has no node: point at the closest enclosing one.
    for (let segs = pathSegments(f.path); segs.length > 0; segs = segs.slice(0, -1)) {
      const node = doc.getIn(segs, true);
      if (isNode(node) && node.range) {
        f.line = lineCounter.linePos(node.range[0]).line;
        break;
      }
    }
  }
  return result;
}

/** "a.b[2].c" -> ["a","b",2,"c"] (inverse of formatPath for the keys the mesh config has). */
function pathSegments(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
