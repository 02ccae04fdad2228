/**
 * Runs the shared case table (cases.ts) against the node proxy's evaluator: each document goes
 * through the control plane's conversion (what the proxy receives over xDS), is compiled once,
 * and the connection is authorized.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { convertAuthorizationPolicy } from "../../../src/controlplane/registry/authorization.js";
import { authorize, compilePolicy, type CompiledPolicy } from "../../../src/policy/index.js";
import { cases, type PolicyDoc } from "./cases.js";

function compile(doc: PolicyDoc): CompiledPolicy {
  const resource: Resource = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: {
      name: doc.name,
      namespace: doc.namespace ?? "default",
      annotations: doc.dryRun === undefined ? {} : { "istio.io/dry-run": doc.dryRun },
    },
    spec: doc.spec,
  };
  const converted = convertAuthorizationPolicy(resource, "istio-system");
  assert.ok(converted?.authorization, `${doc.name} converts for the node proxy`);
  return compilePolicy(converted.authorization);
}

describe("L4 authorization: shared case table", () => {
  for (const c of cases) {
    it(c.name, () => {
      const policies = c.policies.map(compile);
      const d = authorize(policies, {
        ...(c.conn.identity ? { sourceIdentity: c.conn.identity } : {}),
        sourceIp: c.conn.src,
        destinationIp: c.conn.dst,
        destinationPort: c.conn.port,
      });
      const w = c.want;
      assert.equal(d.allowed, w.allowed, `allowed (reason: ${d.reason})`);
      if (w.by !== undefined) assert.equal(d.decidedBy?.policy ?? null, w.by, "decided by");
      if (w.rule !== undefined) assert.equal(d.decidedBy?.rule, w.rule, "rule");
      if (w.reason) assert.match(d.reason, w.reason);
      if (w.audit) assert.deepEqual(d.audit, w.audit, "audit");
      if (w.dryRun) {
        assert.deepEqual(
          d.dryRun.map((r) => ({ policy: r.policy, wouldAllow: r.wouldAllow })),
          w.dryRun,
          "dry-run",
        );
      }
      if (w.dryRunAllowed !== undefined) assert.equal(d.dryRunAllowed, w.dryRunAllowed, "dry-run outcome");
      if (d.dryRun.length === 0)
        assert.equal(d.dryRunAllowed, undefined, "no dry-run outcome without dry-run policies");
    });
  }
});
