/**
 * The analysis checks one edge at a time: each case is a small input, the analysis codes it must
 * produce (in output order) and text the printed findings must contain. The corpus
 * (corpus.test.ts) shows the full messages; these cases pin the decisions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseText } from "../../../src/api/load.js";
import { analyzeDocuments, formatAnalysisFinding } from "../../../src/analyze/index.js";
import type { AnalysisOptions } from "../../../src/analyze/index.js";

function analyze(yaml: string, options: AnalysisOptions = {}) {
  const loaded = parseText(yaml, "t.yaml");
  assert.deepEqual(loaded.findings, [], "the case must be valid YAML");
  const { findings } = analyzeDocuments(loaded.documents, options);
  return { codes: findings.map((f) => f.code), lines: findings.map(formatAnalysisFinding) };
}

// ---- building blocks ----

const ns = (name: string, labels: Record<string, string> = {}) => `
apiVersion: v1
kind: Namespace
metadata: { name: ${name}, labels: ${JSON.stringify({ "istio.io/dataplane-mode": "ambient", ...labels })} }
`;
const waypoint = (namespace: string, name = "waypoint", extra = "", labels: Record<string, string> = {}) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)} }
spec:
  gatewayClassName: istio-waypoint
  listeners:
    - name: mesh
      port: 15008
      protocol: HBONE${extra}
`;
const service = (namespace: string, name: string, labels: Record<string, string> = {}) => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)} }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80 }]
`;
const pod = (namespace: string, name: string, labels: Record<string, string>) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)} }
spec:
  containers: [{ name: c, image: i }]
`;
const authz = (namespace: string, name: string, spec: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: ${namespace} }
spec:
${spec}
`;
const docs = (...parts: string[]) => parts.join("---\n");

const withWaypoint = [
  ns("app", { "istio.io/use-waypoint": "waypoint" }),
  waypoint("app"),
  service("app", "api"),
  pod("app", "api-0", { app: "api" }),
];

interface Case {
  name: string;
  yaml: string;
  codes: string[];
  contains?: string[];
  options?: AnalysisOptions;
}

const cases: Case[] = [
  // AuthorizationPolicy at the node proxy
  {
    name: "an L4-only policy on the node proxy is fine",
    yaml: docs(
      ns("app"),
      service("app", "api"),
      pod("app", "api-0", { app: "api" }),
      authz(
        "app",
        "l4",
        `  selector: { matchLabels: { app: api } }\n  rules: [{ from: [{ source: { principals: ["cluster.local/ns/app/sa/web"] } }], to: [{ operation: { ports: ["80"] } }] }]`,
      ),
    ),
    codes: [],
  },
  {
    name: "an L7 policy with targetRefs is left alone",
    yaml: docs(
      ...withWaypoint,
      authz(
        "app",
        "l7",
        `  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]\n  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`,
      ),
    ),
    codes: [],
  },
  {
    name: "AUDIT with HTTP attributes: the rules are never evaluated",
    yaml: docs(
      ...withWaypoint,
      authz(
        "app",
        "audit",
        `  action: AUDIT\n  selector: { matchLabels: { app: api } }\n  rules: [{ to: [{ operation: { methods: ["POST"] } }] }]`,
      ),
    ),
    codes: ["AMB0001"],
    contains: [
      "the rules using them are never evaluated",
      'targetRefs: [{kind: Service, group: "", name: api}]',
    ],
  },
  {
    name: "an empty selector is namespace-wide (and validation warns about it)",
    yaml: docs(
      ...withWaypoint,
      authz(
        "app",
        "empty",
        `  selector: { matchLabels: {} }\n  rules: [{ to: [{ operation: { methods: ["GET"] } }] }]`,
      ),
    ),
    codes: ["AMB0001", "EMPTY_SELECTOR"],
    contains: [
      "namespace-wide: no selector, no targetRefs",
      "add targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]",
    ],
  },
  {
    name: "a waypoint nobody uses yet: attach and label the namespace",
    yaml: docs(
      ns("app"),
      waypoint("app", "wp"),
      authz("app", "ns-wide", `  rules: [{ to: [{ operation: { hosts: ["api.app"] } }] }]`),
    ),
    codes: ["AMB0001"],
    contains: [
      "add targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: wp}] and label namespace app with istio.io/use-waypoint=wp",
    ],
  },
  {
    name: "a selector with no pods in the input still finds the Service with the same selector",
    yaml: docs(
      ns("app"),
      waypoint("app"),
      service("app", "api", { "istio.io/use-waypoint": "waypoint" }),
      authz(
        "app",
        "sel",
        `  selector: { matchLabels: { app: api } }\n  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`,
      ),
    ),
    codes: ["AMB0001"],
    contains: [
      'replace selector with targetRefs: [{kind: Service, group: "", name: api}] (Service api uses waypoint app/waypoint)',
    ],
  },
  {
    name: "a Service not using the namespace's waypoint: label it first",
    yaml: docs(
      ns("app"),
      waypoint("app"),
      service("app", "api"),
      pod("app", "api-0", { app: "api" }),
      authz(
        "app",
        "sel",
        `  selector: { matchLabels: { app: api } }\n  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`,
      ),
    ),
    codes: ["AMB0001"],
    contains: [
      'label Service api with istio.io/use-waypoint=waypoint so that its traffic goes through waypoint app/waypoint, then replace selector with targetRefs: [{kind: Service, group: "", name: api}]',
    ],
  },
  {
    name: "mesh-wide L7 policy with no waypoint anywhere",
    yaml: authz(
      "istio-system",
      "mesh",
      `  rules: [{ when: [{ key: "request.auth.claims[group]", values: ["admin"] }] }]`,
    ),
    codes: ["AMB0001"],
    contains: ["to apply it on every waypoint; no waypoint exists yet: create one first"],
  },
  {
    name: "the root namespace comes from the istio ConfigMap",
    yaml: docs(
      `
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: mesh-root }
data:
  mesh: |
    rootNamespace: mesh-root
`,
      authz("mesh-root", "mesh", `  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`),
    ),
    codes: ["AMB0001"],
    contains: ["mesh-wide: root namespace, no selector"],
  },
  {
    name: "the root namespace can be given as an option",
    yaml: authz("mesh-root", "mesh", `  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`),
    options: { mesh: { rootNamespace: "mesh-root" } },
    codes: ["AMB0001"],
    contains: ["mesh-wide: root namespace, no selector"],
  },
  // identities behind a waypoint
  {
    name: "DENY by client principal behind a waypoint: clients are not denied",
    yaml: docs(
      ...withWaypoint,
      authz(
        "app",
        "deny-web",
        `  action: DENY\n  selector: { matchLabels: { app: api } }\n  rules: [{ from: [{ source: { principals: ["cluster.local/ns/app/sa/web"] } }] }]`,
      ),
    ),
    codes: ["AMB0003"],
    contains: ["clients that send through it are not denied"],
  },
  {
    name: "a policy admitting the waypoint's namespace is the deliberate pattern",
    yaml: docs(
      ...withWaypoint,
      authz(
        "app",
        "from-ns",
        `  selector: { matchLabels: { app: api } }\n  rules: [{ from: [{ source: { namespaces: ["app"] } }] }]`,
      ),
    ),
    codes: [],
  },
  {
    name: "identities on workloads with no waypoint are fine",
    yaml: docs(
      ns("app"),
      service("app", "api"),
      pod("app", "api-0", { app: "api" }),
      authz(
        "app",
        "from-web",
        `  selector: { matchLabels: { app: api } }\n  rules: [{ from: [{ source: { principals: ["cluster.local/ns/app/sa/web"] } }] }]`,
      ),
    ),
    codes: [],
  },
  // RequestAuthentication
  {
    name: "a mesh-wide RequestAuthentication is applied by every waypoint",
    yaml: docs(
      ...withWaypoint,
      `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: istio-system }
spec:
  jwtRules: [{ issuer: "https://i.example.com", jwksUri: "https://i.example.com/k" }]
`,
    ),
    codes: ["AMB0007"],
    contains: [
      "mesh-wide (root namespace, no selector): only waypoint app/waypoint applies it",
      "GatewayClass",
    ],
  },
  // IST0166
  {
    name: "a Telemetry selecting waypoint pods by label",
    yaml: docs(
      ...withWaypoint,
      `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: t, namespace: app }
spec:
  selector: { matchLabels: { gateway.networking.k8s.io/gateway-name: waypoint } }
  accessLogging: [{ providers: [{ name: envoy }] }]
`,
    ),
    codes: ["IST0166"],
    contains: ["a waypoint ignores selector-bound policies"],
  },
  {
    name: "a policy selecting gateway pods given in the input",
    yaml: docs(
      ns("app"),
      pod("app", "gw-0", { "gateway.networking.k8s.io/gateway-name": "public", app: "gw" }),
      authz(
        "app",
        "gw",
        `  selector: { matchLabels: { app: gw } }\n  rules: [{ to: [{ operation: { paths: ["/x"] } }] }]`,
      ),
    ),
    codes: ["IST0166"],
    contains: ["matchLabels.app: warning: [IST0166] this selector picks the pods of Gateway app/public"],
  },
  // Gateways
  {
    name: "an HBONE listener on another port and class",
    yaml: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: app }
spec:
  gatewayClassName: istio
  listeners: [{ name: mesh, port: 15009, protocol: HBONE }]
`,
    codes: ["AMB0004"],
    contains: ["(a waypoint listens on port 15008, not 15009)"],
  },
  // use-waypoint labels
  {
    name: "use-waypoint none opts out",
    yaml: docs(ns("app", { "istio.io/use-waypoint": "none" })),
    codes: [],
  },
  {
    name: "a waypoint for all traffic serves pods",
    yaml: docs(
      ns("app"),
      waypoint("app", "waypoint", "", { "istio.io/waypoint-for": "all" }),
      pod("app", "p", { app: "p", "istio.io/use-waypoint": "waypoint" }),
    ),
    codes: [],
  },
  {
    name: "waypoint-for none serves nothing, even a namespace",
    yaml: docs(
      ns("app", { "istio.io/use-waypoint": "waypoint" }),
      waypoint("app", "waypoint", "", { "istio.io/waypoint-for": "none" }),
    ),
    codes: ["AMB0009"],
    contains: ["is for none traffic"],
  },
  {
    name: "a waypoint admitting all namespaces serves another namespace",
    yaml: docs(
      ns("other", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "app" }),
      waypoint("app", "waypoint", "\n      allowedRoutes: { namespaces: { from: All } }"),
    ),
    codes: [],
  },
  {
    name: "a waypoint admitting namespaces by selector",
    yaml: docs(
      ns("yes", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "app", team: "a" }),
      ns("no", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "app", team: "b" }),
      waypoint(
        "app",
        "waypoint",
        "\n      allowedRoutes: { namespaces: { from: Selector, selector: { matchLabels: { team: a } } } }",
      ),
    ),
    codes: ["AMB0009"],
    contains: [
      "Namespace no: metadata.labels.istio.io/use-waypoint: warning: [AMB0009] waypoint app/waypoint does not accept traffic from namespace no: its HBONE listener admits namespaces by Selector",
    ],
  },
  // VirtualService and DestinationRule
  {
    name: "a gateway-only VirtualService's hosts are external names, not services",
    yaml: docs(
      service("app", "api"),
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: app }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["api.example.com"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: app }
spec:
  hosts: ["api.example.com"]
  gateways: [gw]
  http: [{ route: [{ destination: { host: api } }] }]
`,
    ),
    codes: [],
  },
  {
    name: "a mesh VirtualService for a host in another namespace, by full name",
    yaml: docs(
      service("other", "api"),
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs, namespace: app }
spec:
  hosts: [api.other.svc.cluster.local]
  http: [{ route: [{ destination: { host: api.other.svc.cluster.local, port: { number: 80 } } }] }]
`,
    ),
    codes: [],
  },
  {
    name: "a wildcard DestinationRule host covering a ServiceEntry host",
    yaml: `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ext, namespace: app }
spec:
  hosts: [api.example.com]
  ports: [{ number: 443, name: tls, protocol: TLS }]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ext, namespace: app }
spec:
  host: "*.example.com"
`,
    codes: [],
  },
  {
    name: "a subset defined by a DestinationRule in another namespace counts",
    yaml: docs(
      service("other", "api"),
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api, namespace: other }
spec:
  host: api
  subsets: [{ name: v1, labels: { version: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs, namespace: app }
spec:
  hosts: [api.other.svc.cluster.local]
  http: [{ route: [{ destination: { host: api.other.svc.cluster.local, subset: v1 } }] }]
`,
    ),
    codes: [],
  },
  // routes
  {
    name: "a mesh HTTPRoute on a Service that uses a waypoint",
    yaml: docs(
      ...withWaypoint,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: app }
spec:
  parentRefs: [{ group: "", kind: Service, name: api, port: 80 }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
`,
    ),
    codes: [],
  },
  {
    name: "a parent Service port that does not exist",
    yaml: docs(
      ...withWaypoint,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: app }
spec:
  parentRefs: [{ group: "", kind: Service, name: api, port: 8080 }]
  rules: [{ backendRefs: [{ group: networking.istio.io, kind: ServiceEntry, name: nope, port: 80 }] }]
`,
    ),
    codes: ["IST0101", "IST0101"],
    contains: [
      'Referenced parent Service port not found: "app/api:8080"',
      'Referenced backend ServiceEntry not found: "app/nope"',
    ],
  },
  // PeerAuthentication
  {
    name: "the creationTimestamp decides before the name",
    yaml: `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: a, namespace: app, creationTimestamp: "2025-02-01T00:00:00Z" }
spec: { selector: { matchLabels: { app: db } }, mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: b, namespace: app, creationTimestamp: "2025-01-01T00:00:00Z" }
spec: { selector: { matchLabels: { app: db } }, mtls: { mode: PERMISSIVE } }
`,
    codes: ["AMB0011"],
    contains: [
      "PeerAuthentication app/a: spec.selector: [AMB0011] this policy has the same selector as PeerAuthentication app/b",
    ],
  },
  {
    name: "one namespace-wide policy per namespace is fine",
    yaml: `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: a }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: b }
spec: { mtls: { mode: STRICT } }
`,
    codes: [],
  },
];

for (const c of cases)
  test(`analyze: ${c.name}`, () => {
    const { codes, lines } = analyze(c.yaml, c.options);
    assert.deepEqual(codes, c.codes, lines.join("\n"));
    for (const text of c.contains ?? [])
      assert.ok(
        lines.some((l) => l.includes(text)),
        `expected a finding containing ${JSON.stringify(text)}; got:\n${lines.join("\n")}`,
      );
  });
