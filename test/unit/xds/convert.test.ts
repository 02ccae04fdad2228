import { test } from "node:test";
import assert from "node:assert/strict";
import { isAmbitError } from "../../../src/common/errors.js";
import {
  addressResourceName,
  decodeAddress,
  encodeService,
  encodeWorkload,
} from "../../../src/xds/convert/address.js";
import {
  authorizationResourceName,
  decodeAuthorization,
  encodeAuthorization,
} from "../../../src/xds/convert/authorization.js";
import { configResourceName, decodeConfig, encodeConfig } from "../../../src/xds/convert/config.js";
import { XDS_INVALID_RESOURCE } from "../../../src/xds/convert/invalid.js";
import { xdsProtos } from "../../../src/xds/wire/protos.js";
import { encodePb, type PbAddress, type PbAuthorization } from "../../../src/xds/wire/resources.js";
import {
  syntheticAuthorization,
  syntheticService,
  syntheticWorkload,
} from "../../../src/xds/testing/synthetic.js";

const waypoint = {
  gateway: "ns-1/waypoint",
  hostname: "waypoint.ns-1.svc.cluster.local",
  addresses: ["10.96.0.9", "fd00::9"],
  port: 15008,
};

function rejects(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAmbitError(e), String(e));
    assert.equal(e.code, XDS_INVALID_RESOURCE);
    assert.match(e.message, new RegExp(fragment));
    return true;
  });
}

function address(pb: PbAddress): Uint8Array {
  return encodePb(xdsProtos().Address, pb);
}

test("workloads round-trip, with and without a waypoint", () => {
  const cases = [
    syntheticWorkload(1),
    syntheticWorkload(2, {
      waypoint,
      healthy: false,
      addresses: ["10.0.0.2", "fd00::2"],
      kind: "WorkloadEntry",
    }),
    syntheticWorkload(3, {
      tunnelProtocol: "NONE",
      enrolled: false,
      enrollmentReason: "no label",
      services: {},
      addresses: [],
    }),
  ];
  for (const w of cases) {
    const back = decodeAddress(encodeWorkload(w));
    assert.deepEqual(back, { kind: "workload", workload: w });
    assert.equal(addressResourceName(back), w.uid);
  }
});

test("services round-trip without their endpoints; the resource name is <namespace>/<hostname>", () => {
  for (const s of [
    syntheticService(1),
    syntheticService(2, { waypoint, source: "ServiceEntry", location: "MESH_EXTERNAL", addresses: [] }),
  ]) {
    assert.ok(s.endpoints.length > 0);
    const back = decodeAddress(encodeService(s));
    // Proxies derive endpoints from the workloads (ztunnel/state.ts), as Istio's do.
    assert.deepEqual(back, { kind: "service", service: { ...s, endpoints: [] } });
    assert.equal(addressResourceName(back), `${s.namespace}/${s.hostname}`);
  }
});

test("authorizations round-trip, every match field and action", () => {
  const a = syntheticAuthorization(7, {
    action: "DENY",
    scope: "NAMESPACE",
    dryRun: true,
    l7Warning: "methods need a waypoint",
  });
  const full = {
    namespaces: [{ kind: "exact" as const, value: "a" }],
    notNamespaces: [{ kind: "prefix" as const, value: "kube-" }],
    principals: [{ kind: "suffix" as const, value: "/sa/admin" }],
    notPrincipals: [{ kind: "presence" as const, value: "" }],
    sourceIps: [{ cidr: "10.0.0.0/8" }],
    notSourceIps: [{ cidr: "10.1.2.3/32" }],
    destinationIps: [{ cidr: "fd00::/64" }],
    notDestinationIps: [{ cidr: "::1/128" }],
    destinationPorts: [80, 443],
    notDestinationPorts: [22],
  };
  a.rules.push({ clauses: [{ matches: [full] }] });
  for (const action of ["ALLOW", "DENY", "AUDIT", "CUSTOM"] as const) {
    const x = { ...a, action };
    assert.deepEqual(decodeAuthorization(encodeAuthorization(x)), x);
  }
  assert.equal(authorizationResourceName(a), "ns-7/policy-7");
});

test("config documents round-trip; the name is group/Kind/namespace/name", () => {
  const doc = {
    document: {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "reviews", namespace: "bookinfo" },
      spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }] },
    },
    resourceVersion: "42",
  };
  assert.deepEqual(decodeConfig(encodeConfig(doc)), doc);
  assert.equal(configResourceName(doc), "networking.istio.io/VirtualService/bookinfo/reviews");
});

test("a workload as Istio writes it (no Ambit fields) decodes with Istio's defaults", () => {
  const bytes = address({
    workload: {
      uid: "c1//Pod/default/p",
      name: "p",
      namespace: "default",
      addresses: [Uint8Array.from([10, 0, 0, 1])],
      tunnel_protocol: 1,
    },
  });
  const r = decodeAddress(bytes);
  assert.equal(r.kind, "workload");
  if (r.kind !== "workload") return;
  assert.equal(r.workload.identity, "spiffe://cluster.local/ns/default/sa/default");
  assert.equal(r.workload.kind, "Pod");
  assert.equal(r.workload.tunnelProtocol, "HBONE");
  assert.deepEqual(r.workload.addresses, ["10.0.0.1"]);
});

test("addresses leave out what decoding restores, and keep what it could not", () => {
  const raw = (bytes: Uint8Array) =>
    xdsProtos().Address.toObject(xdsProtos().Address.decode(bytes)) as PbAddress;
  // The common case: default trust domain, a Pod uid, enrolled by its namespace's label.
  const usual = syntheticWorkload(4, {
    enrollmentReason: "namespace ns-4 has label istio.io/dataplane-mode=ambient",
  });
  const wire = raw(encodeWorkload(usual)).workload ?? {};
  for (const field of ["trust_domain", "kind", "enrollment_reason", "network", "status", "workload_type"]) {
    assert.equal(field in wire, false, `${field} is not sent`);
  }
  assert.equal(wire.enrolled, true);
  assert.deepEqual(decodeAddress(encodeWorkload(usual)), { kind: "workload", workload: usual });
  // Anything else travels.
  const unusual = syntheticWorkload(5, {
    trustDomain: "example.org",
    identity: "spiffe://example.org/ns/ns-5/sa/app-5",
    kind: "WorkloadEntry",
    enrollmentReason: "pod label istio.io/dataplane-mode=ambient",
    healthy: false,
  });
  const w2 = raw(encodeWorkload(unusual)).workload ?? {};
  assert.equal(w2.trust_domain, "example.org");
  assert.equal(w2.kind, "WorkloadEntry");
  assert.equal(w2.enrollment_reason, "pod label istio.io/dataplane-mode=ambient");
  assert.deepEqual(decodeAddress(encodeWorkload(unusual)), { kind: "workload", workload: unusual });
  // Services: source, location and protocol at their defaults are left out.
  const svc = syntheticService(6);
  const s = raw(encodeService(svc)).service ?? {};
  assert.equal("source" in s || "location" in s, false);
  assert.equal(
    (s.ports ?? []).some((p) => "protocol" in p),
    false,
  );
  assert.deepEqual(decodeAddress(encodeService(svc)), {
    kind: "service",
    service: { ...svc, endpoints: [] },
  });
});

test("an Istio-style waypoint given by address becomes a waypoint with that VIP", () => {
  const r = decodeAddress(
    address({
      service: {
        name: "s",
        namespace: "ns",
        hostname: "s.ns.svc.cluster.local",
        waypoint: {
          address: { network: "", address: Uint8Array.from([10, 96, 0, 1]) },
          hbone_mtls_port: 15008,
        },
      },
    }),
  );
  assert.equal(r.kind, "service");
  if (r.kind === "service") assert.deepEqual(r.service.waypoint?.addresses, ["10.96.0.1"]);
});

test("decode rejects resources a proxy cannot use, naming the field", () => {
  const base = { uid: "c//Pod/ns/p", name: "p", namespace: "ns" };
  rejects(() => decodeAddress(address({ workload: { ...base, uid: "" } })), "uid: is required");
  rejects(
    () => decodeAddress(address({ workload: { ...base, addresses: [new Uint8Array(5)] } })),
    "addresses\\[0\\]: IP address must be 4 or 16 bytes, got 5",
  );
  rejects(
    () => decodeAddress(address({ workload: { ...base, tunnel_protocol: 7 } })),
    "tunnel_protocol: unknown value 7",
  );
  rejects(
    () => decodeAddress(address({ workload: { ...base, kind: "Deployment" } })),
    'kind: unknown kind "Deployment"',
  );
  rejects(
    () =>
      decodeAddress(
        address({ workload: { ...base, services: { nokey: { ports: [{ service_port: 80 }] } } } }),
      ),
    "namespace>/<hostname>",
  );
  rejects(
    () =>
      decodeAddress(
        address({ workload: { ...base, services: { "ns/h": { ports: [{ service_port: 70000 }] } } } }),
      ),
    "service_port: port 70000 is out of range",
  );
  rejects(
    () => decodeAddress(address({ workload: { ...base, waypoint: { hbone_mtls_port: 15008 } } })),
    "neither a hostname nor an address",
  );
  rejects(
    () => decodeAddress(address({ workload: { ...base, waypoint: { hostname: { hostname: "w" } } } })),
    "hbone_mtls_port",
  );
  rejects(
    () => decodeAddress(address({ service: { name: "s", namespace: "ns", hostname: "h", source: "Magic" } })),
    "source: unknown value",
  );
  rejects(() => decodeAddress(address({})), "neither workload nor service");
  rejects(() => decodeAddress(Uint8Array.from([0x0a, 0xff, 0xff])), "not a valid istio.workload.Address");

  const authz = (pb: PbAuthorization) => decodeAuthorization(encodePb(xdsProtos().Authorization, pb));
  rejects(() => authz({ name: "p" }), "namespace: is required");
  rejects(() => authz({ name: "p", namespace: "n", action: 5 }), "action: unknown value 5");
  rejects(
    () =>
      authz({
        name: "p",
        namespace: "n",
        rules: [
          {
            clauses: [
              { matches: [{ source_ips: [{ address: Uint8Array.from([10, 0, 0, 0]), length: 33 }] }] },
            ],
          },
        ],
      }),
    "source_ips\\[0\\]: invalid address bytes or prefix length",
  );
  rejects(
    () =>
      authz({ name: "p", namespace: "n", rules: [{ clauses: [{ matches: [{ destination_ports: [0] }] }] }] }),
    "destination_ports\\[0\\]",
  );
  rejects(
    () => authz({ name: "p", namespace: "n", rules: [{ clauses: [{ matches: [{ principals: [{}] }] }] }] }),
    "no match type set",
  );

  const cfg = (
    json: string,
    env = { kind: "VirtualService", api_version: "networking.istio.io/v1", name: "r", namespace: "b" },
  ) => decodeConfig(encodePb(xdsProtos().ConfigResource, { ...env, json: Buffer.from(json) }));
  rejects(() => cfg("{not json"), "json: not valid JSON");
  rejects(() => cfg("[]"), "json: is not a JSON object");
  rejects(
    () =>
      cfg(
        JSON.stringify({
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: "other", namespace: "b" },
        }),
      ),
    'json name: "other" does not match',
  );
});

test("encoding an address that is not an IP is a control plane bug, reported as such", () => {
  assert.throws(
    () => encodeWorkload(syntheticWorkload(1, { addresses: ["not-an-ip"] })),
    (e: unknown) => {
      assert.ok(isAmbitError(e));
      assert.equal(e.code, "XDS_ENCODE_INVALID");
      return true;
    },
  );
});
