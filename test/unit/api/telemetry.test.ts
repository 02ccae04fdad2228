/** telemetry.istio.io Telemetry: defaults the collectors rely on, and Istio's warnings. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatFinding } from "../../../src/api/findings.js";
import { parseText } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";
import type { TelemetrySpec } from "../../../src/api/kinds/telemetry.js";

function validate(yaml: string) {
  const loaded = parseText(yaml, "t.yaml");
  const r = validateAll(loaded.documents);
  return {
    lines: [...loaded.findings, ...r.findings].map(formatFinding),
    specs: r.valid.map((v) => v.resource.spec as TelemetrySpec),
  };
}

test("defaults: match modes CLIENT_AND_SERVER, tag overrides UPSERT", () => {
  const { lines, specs } = validate(`
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: t, namespace: n}
spec:
  tracing: [{match: {}, randomSamplingPercentage: 0}]
  metrics:
    - overrides:
        - match: {metric: REQUEST_DURATION}
          tagOverrides: {team: {value: "'payments'"}}
  accessLogging: [{match: {}}]
`);
  assert.deepEqual(lines, []);
  const s = specs[0]!;
  assert.equal(s.tracing?.[0]?.match?.mode, "CLIENT_AND_SERVER");
  assert.equal(s.metrics?.[0]?.overrides?.[0]?.match?.mode, "CLIENT_AND_SERVER");
  assert.equal(s.metrics?.[0]?.overrides?.[0]?.tagOverrides?.team?.operation, "UPSERT");
  assert.equal(s.accessLogging?.[0]?.match?.mode, "CLIENT_AND_SERVER");
});

test("a Telemetry without spec is valid and empty", () => {
  const { lines, specs } = validate(`
apiVersion: telemetry.istio.io/v1alpha1
kind: Telemetry
metadata: {name: t, namespace: n}
`);
  assert.deepEqual(lines, []);
  assert.deepEqual(specs[0], {});
});

test("warnings: one tracing entry and one tracing provider are used", () => {
  const { lines } = validate(`
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: t, namespace: n}
spec:
  selector: {matchLabels: {}}
  tracing:
    - providers: [{name: a}, {name: b}]
    - randomSamplingPercentage: 5
`);
  assert.deepEqual(lines, [
    "t.yaml:0: Telemetry n/t: spec.selector: warning: selector has no labels, so it selects every workload in the namespace; remove it or add matchLabels",
    "t.yaml:0: Telemetry n/t: spec.tracing: warning: only the first tracing entry is used; merge them into one",
    "t.yaml:0: Telemetry n/t: spec.tracing[0].providers: warning: only one tracing provider is supported; the first is used",
  ]);
});

test("sampling percentage bounds and type", () => {
  const sampling = (v: string) =>
    validate(`
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: t, namespace: n}
spec:
  tracing: [{randomSamplingPercentage: ${v}}]
`).lines;
  assert.deepEqual(sampling("0.01"), []);
  assert.deepEqual(sampling("100"), []);
  assert.match(sampling("-1").join("\n"), /randomSamplingPercentage must be between 0 and 100/);
  assert.match(sampling("100.5").join("\n"), /randomSamplingPercentage must be between 0 and 100/);
});
