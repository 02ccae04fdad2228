/**
 * The YAML examples of docs/authorization.md do what the page says they do: each block is
 * parsed, converted as the control plane would, and checked against the connections described.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../../../src/api/resource.js";
import { convertAuthorizationPolicy } from "../../../src/controlplane/registry/authorization.js";
import { authorize, compilePolicy, mtlsMode } from "../../../src/policy/index.js";

const page = readFileSync(new URL("../../../docs/authorization.md", import.meta.url), "utf8");
const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) =>
  parseAllDocuments(m[1] ?? "").map((d) => d.toJS() as Resource),
);

const compiled = (docs: Resource[]) =>
  docs.map((d) => compilePolicy(convertAuthorizationPolicy(d, "istio-system")!.authorization!));
const SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";
const ROGUE = "spiffe://cluster.local/ns/rogue/sa/default";
const conn = (sourceIdentity: string | undefined, destinationPort = 8080) => ({
  ...(sourceIdentity ? { sourceIdentity } : {}),
  sourceIp: "10.0.0.10",
  destinationIp: "10.0.1.20",
  destinationPort,
});

describe("docs/authorization.md examples", () => {
  it("has the four examples", () => assert.equal(blocks.length, 4));

  it("allow-sleep + deny-rogue, for httpbin (both policies apply to it)", () => {
    const policies = compiled(blocks[0]!);
    const sleep = authorize(policies, conn(SLEEP));
    assert.equal(sleep.allowed, true);
    assert.deepEqual(sleep.decidedBy, { policy: "default/httpbin-allow-sleep", action: "ALLOW", rule: 0 });
    assert.match(
      authorize(policies, conn("spiffe://cluster.local/ns/default/sa/other")).reason,
      /no ALLOW policy matched \(applies: default\/httpbin-allow-sleep\)/,
    );
    assert.equal(authorize(policies, conn(SLEEP, 9090)).allowed, false);
    assert.equal(authorize(policies, conn(ROGUE)).decidedBy?.policy, "default/deny-rogue");
  });

  it("require-mtls refuses plaintext only", () => {
    const policies = compiled(blocks[1]!);
    assert.equal(authorize(policies, conn(undefined)).allowed, false);
    assert.equal(authorize(policies, conn(SLEEP)).allowed, true);
  });

  it("the dry-run lockdown is reported, not enforced", () => {
    const d = authorize(compiled(blocks[2]!), conn(ROGUE));
    assert.equal(d.allowed, true);
    assert.deepEqual(d.dryRun, [
      { policy: "default/httpbin-lockdown-trial", action: "ALLOW", wouldAllow: false },
    ]);
    assert.equal(d.dryRunAllowed, false);
  });

  it("mesh STRICT with a PERMISSIVE port on httpbin", () => {
    const docs = blocks[3]!;
    const httpbin = { namespace: "default", labels: { app: "httpbin" } };
    assert.equal(mtlsMode(docs, httpbin, 8080, "istio-system").mode, "PERMISSIVE");
    assert.deepEqual(mtlsMode(docs, httpbin, 9090, "istio-system"), {
      mode: "STRICT",
      policy: "istio-system/default",
      level: "mesh",
    });
    assert.equal(
      mtlsMode(docs, { namespace: "default", labels: { app: "sleep" } }, 8080, "istio-system").mode,
      "STRICT",
    );
  });
});
