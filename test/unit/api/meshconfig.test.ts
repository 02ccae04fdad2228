/**
 * Mesh config: defaults, Istio's built-in providers, snake_case field names, and a table of
 * invalid configs with the findings they must produce (path relative to the mesh document).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { formatFinding } from "../../../src/api/findings.js";
import {
  defaultMeshConfig,
  parseMeshConfig,
  parseMeshConfigText,
  validateMeshConfigText,
} from "../../../src/api/kinds/meshconfig.js";

const lines = (text: string) =>
  validateMeshConfigText(text).map((f) => formatFinding({ ...f, file: "mesh" }));

test("an empty mesh config means Istio's defaults plus Ambit's certificate lifetimes", () => {
  for (const text of ["", "{}", "# only a comment\n"]) {
    const { mesh, findings } = parseMeshConfigText(text);
    assert.deepEqual(findings, []);
    assert.equal(mesh.trustDomain, "cluster.local");
    assert.equal(mesh.rootNamespace, "istio-system");
    assert.equal(mesh.outboundTrafficPolicy.mode, "ALLOW_ANY");
    assert.equal(mesh.inboundTrafficPolicy.mode, "PASSTHROUGH");
    assert.equal(mesh.enableTracing, true);
    assert.equal(mesh.accessLogEncoding, "TEXT");
    assert.equal(mesh.connectTimeout, "10s");
    assert.equal(mesh.protocolDetectionTimeout, "0s");
    assert.deepEqual(mesh.defaultServiceExportTo, ["*"]);
    assert.equal(mesh.ambit.workloadCertTTL, "24h");
    assert.equal(mesh.ambit.maxWorkloadCertTTL, "2160h");
    assert.deepEqual(
      mesh.extensionProviders.map((p) => p.name),
      ["prometheus", "stackdriver", "envoy"],
    );
  }
  assert.deepEqual(defaultMeshConfig(), parseMeshConfig({}).mesh);
});

test("configured providers join the built-in ones; the same name replaces a built-in", () => {
  const { mesh, findings } = parseMeshConfig({
    extensionProviders: [
      { name: "envoy", envoyFileAccessLog: { path: "/var/log/access.log" } },
      { name: "otel", opentelemetry: { service: "otel.observability.svc.cluster.local", port: 4317 } },
    ],
  });
  assert.deepEqual(findings, []);
  assert.deepEqual(
    mesh.extensionProviders.map((p) => p.name),
    ["prometheus", "stackdriver", "envoy", "otel"],
  );
  assert.equal(
    mesh.extensionProviders.find((p) => p.name === "envoy")?.envoyFileAccessLog?.path,
    "/var/log/access.log",
  );
});

test("proto-style snake_case names are read like Istio reads them", () => {
  const { mesh, findings } = parseMeshConfig({
    trust_domain: "example.org",
    outbound_traffic_policy: { mode: "REGISTRY_ONLY" },
    extension_providers: [
      {
        name: "z",
        zipkin: { service: "zipkin.istio-system.svc.cluster.local", port: 9411, max_tag_length: 64 },
      },
    ],
    default_config: { proxy_metadata: { SOME_ENV: "x" } },
  });
  assert.deepEqual(findings, []);
  assert.equal(mesh.trustDomain, "example.org");
  assert.equal(mesh.outboundTrafficPolicy.mode, "REGISTRY_ONLY");
  assert.equal(mesh.extensionProviders.at(-1)?.zipkin?.maxTagLength, 64);
  assert.deepEqual(mesh.defaultConfig.proxyMetadata, { SOME_ENV: "x" });
});

test("the corpus ConfigMap's mesh validates cleanly", () => {
  const file = join(import.meta.dirname, "../../corpus/valid/mesh-istio-configmap.yaml");
  const cm = parse(readFileSync(file, "utf8")) as { data: { mesh: string } };
  const { mesh, findings } = parseMeshConfigText(cm.data.mesh);
  assert.deepEqual(findings, []);
  assert.equal(mesh.ambit.workloadCertTTL, "12h");
  assert.equal(mesh.extensionProviders.find((p) => p.name === "otel-tracing")?.opentelemetry?.port, 4317);
});

test("findings carry the line within the mesh text", () => {
  const [f] = validateMeshConfigText("trustDomain: cluster.local\nrootNamespace: Istio-System\n");
  assert.equal(f?.path, "rootNamespace");
  assert.equal(f?.line, 2);
  // A missing field points at the closest enclosing node.
  const [g] = validateMeshConfigText(
    "enableTracing: true\nextensionProviders:\n  - name: z\n    zipkin: {port: 9411}\n",
  );
  assert.equal(g?.path, "extensionProviders[0].zipkin.service");
  assert.equal(g?.line, 4);
});

// mesh YAML -> every finding line must contain one of these, and each must be matched
const invalid: [string, string[]][] = [
  [
    "rootNamespce: istio-system",
    ['rootNamespce: unknown field "rootNamespce" (did you mean "rootNamespace"?)'],
  ],
  ["trustDomain: Cluster_Local", ['trustDomain: "Cluster_Local" is not a trust domain']],
  ["trustDomainAliases: [td1, 'bad domain']", ['trustDomainAliases[1]: "bad domain" is not a trust domain']],
  [
    "outboundTrafficPolicy: {mode: REGISTRY}",
    [
      'outboundTrafficPolicy.mode: invalid value "REGISTRY": must be one of REGISTRY_ONLY, ALLOW_ANY (did you mean "REGISTRY_ONLY"?)',
    ],
  ],
  ["accessLogEncoding: YAML", ['accessLogEncoding: invalid value "YAML": must be one of TEXT, JSON']],
  ["connectTimeout: 2h", ['connectTimeout: connectTimeout "2h" is too long: the maximum is 1h']],
  ["connectTimeout: 10", ["connectTimeout: must be a string (got number 10)"]],
  ["enableTracing: yes please", ['enableTracing: must be a boolean (got string "yes please")']],
  ["dnsRefreshRate: 1 minute", ['dnsRefreshRate: invalid duration "1 minute"']],
  [
    "protocolDetectionTimeout: 0s\ndefaultServiceExportTo: ['*', 'Bad_NS']",
    ['defaultServiceExportTo[1]: use "*", ".", "~" or a namespace name'],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry: {service: otel.observability.svc.cluster.local, port: 70000}",
    ["extensionProviders[0].opentelemetry.port: port must be between 1 and 65535"],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry: {service: otel.observability.svc.cluster.local}",
    ["extensionProviders[0].opentelemetry.port: port is required"],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry: {service: 'observability/otel', port: 4317}",
    [
      'extensionProviders[0].opentelemetry.service: service "observability/otel": with a namespace, the host must be fully qualified',
    ],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry: {service: Otel_Collector, port: 4317}",
    [
      'extensionProviders[0].opentelemetry.service: service "Otel_Collector" is not a host name or IP address',
    ],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry:\n    service: o.b\n    port: 4317\n    http: {path: /v1/traces}\n    grpc: {timeout: 1s}",
    ["extensionProviders[0].opentelemetry.grpc: only one of http and grpc may be set"],
  ],
  [
    "extensionProviders:\n- name: otel\n  opentelemetry: {service: o.b, port: 4317, resourceDetector: {}}",
    [
      'extensionProviders[0].opentelemetry.resourceDetector: unknown field "resourceDetector" (did you mean "resourceDetectors"?)',
    ],
  ],
  [
    "extensionProviders:\n- name: a\n  prometheus: {}\n- name: a\n  envoyFileAccessLog: {}",
    ['extensionProviders[1].name: duplicate extension provider name "a" (also extensionProviders[0])'],
  ],
  [
    "extensionProviders:\n- name: nothing",
    ['extensionProviders[0]: extension provider "nothing" needs one provider block'],
  ],
  [
    "extensionProviders:\n- name: two\n  prometheus: {}\n  zipkin: {service: z.istio-system.svc.cluster.local, port: 9411}",
    [
      "extensionProviders[0].prometheus: an extension provider has exactly one provider block (found zipkin and prometheus)",
    ],
  ],
  ["extensionProviders:\n- prometheus: {}", ["extensionProviders[0].name: name is required"]],
  [
    "extensionProviders:\n- name: authz\n  envoyExtAuthzHttp:\n    service: authz.default.svc.cluster.local\n    port: 9000\n    pathPrefix: check\n    statusOnError: '999'\n    timeout: 10 sec",
    [
      'envoyExtAuthzHttp.pathPrefix: pathPrefix must begin with "/"',
      'envoyExtAuthzHttp.statusOnError: statusOnError "999" is not an HTTP status code',
      'envoyExtAuthzHttp.timeout: invalid duration "10 sec"',
    ],
  ],
  [
    "extensionProviders:\n- name: log\n  envoyFileAccessLog:\n    path: /dev/stdout\n    logFormat: {text: '%START_TIME%', labels: {a: b}}",
    ["extensionProviders[0].envoyFileAccessLog.logFormat.labels: only one of text and labels may be set"],
  ],
  [
    "extensionProviders:\n- name: ls\n  lightstep: {service: ls.example.com, port: 8080}",
    [
      "extensionProviders[0].lightstep.accessToken: accessToken is required",
      "warning: the lightstep provider is deprecated",
    ],
  ],
  [
    "defaultProviders:\n  tracing: [otel]",
    ['defaultProviders.tracing[0]: warning: no extension provider named "otel"'],
  ],
  ["meshMTLS:\n  ecdhCurves: [P-256]", ["meshMTLS.ecdhCurves: meshMTLS does not take ecdhCurves"]],
  [
    "tlsDefaults:\n  ecdhCurves: [P-256, P-999]\n  cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384, FOO-BAR, '-RC4']",
    [
      'tlsDefaults.ecdhCurves[1]: warning: unrecognized ECDH curve "P-999"',
      'tlsDefaults.cipherSuites[1]: warning: unrecognized cipher suite "FOO-BAR"',
    ],
  ],
  [
    "localityLbSetting:\n  distribute:\n  - from: us-west/*\n    to: {us-west/*: 60, us-east/*: 30}",
    ["localityLbSetting.distribute[0].to: locality weights must add up to 100"],
  ],
  ["ambit:\n  workloadCertTTL: 100d", ['ambit.workloadCertTTL: invalid duration "100d"']],
  [
    "ambit:\n  workloadCertTTL: 3000h",
    ["ambit.workloadCertTTL: workloadCertTTL 3000h is longer than maxWorkloadCertTTL 2160h"],
  ],
  [
    "ambit:\n  workloadCertTL: 1h",
    ['ambit.workloadCertTL: unknown field "workloadCertTL" (did you mean "workloadCertTTL"?)'],
  ],
  [
    "caCertificates:\n- pem: not a cert\n- spiffeBundleUrl: https://bundle.example.com\n  pem: '-----BEGIN CERTIFICATE-----'",
    [
      "caCertificates[0].pem: pem must hold PEM certificates",
      "caCertificates[1].spiffeBundleUrl: only one of pem and spiffeBundleUrl",
    ],
  ],
  [
    "serviceSettings:\n- settings: {clusterLocal: true}\n  hosts: ['*.foo.svc.cluster.local', Bad_Host]",
    ['serviceSettings[0].hosts[1]: host name "Bad_Host" has an invalid label'],
  ],
  [
    "serviceScopeConfigs:\n- servicesSelector: {matchLabels: {istio.io/global: 'true'}}\n  scope: GLOBL",
    [
      'serviceScopeConfigs[0].scope: invalid value "GLOBL": must be one of LOCAL, GLOBAL (did you mean "GLOBAL"?)',
    ],
  ],
  [
    "discoverySelectors:\n- matchExpressions: [{key: env, operator: In}]",
    ["discoverySelectors[0].matchExpressions[0].values: operator In needs at least one value"],
  ],
  [
    "defaultHttpRetryPolicy: {attempts: 3, perTryTimout: 2s}",
    ['defaultHttpRetryPolicy.perTryTimout: unknown field "perTryTimout" (did you mean "perTryTimeout"?)'],
  ],
  ["certificates: []", ["certificates: warning: certificates is deprecated"]],
  ["- not\n- a mapping", ["the mesh config must be a mapping of fields"]],
  ["trustDomain: [unclosed", ["YAML syntax error"]],
];

for (const [text, expected] of invalid) {
  test(`mesh config: ${text.split("\n")[0]}`, () => {
    const got = lines(text);
    for (const e of expected)
      assert.ok(
        got.some((l) => l.includes(e)),
        `expected ${JSON.stringify(e)}; got:\n${got.join("\n")}`,
      );
    const unexplained = got.filter((l) => !expected.some((e) => l.includes(e)));
    assert.deepEqual(unexplained, [], "findings the table does not explain");
  });
}
