/**
 * The control plane as proxies and operators meet it: real TLS gRPC (xDS + CA) with node
 * tokens, the admin API over HTTP, 100 subscribed proxies.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startControlPlane, type ControlPlane } from "../../../src/controlplane/server.js";
import { createCaClient, generateKeyAndCsr, IMPERSONATED_IDENTITY_KEY } from "../../../src/identity/index.js";
import { ADDRESS_TYPE_URL, XdsClient, decodeAddress, type AddressResource } from "../../../src/xds/index.js";

const NODES = [
  { name: "node-1", podCidr: "10.244.1.0/24", address: "" },
  { name: "node-2", podCidr: "10.244.2.0/24", address: "" },
];

const pod = (name: string, node: string, labels = "app: web") => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: shop
  labels: {${labels}}
spec:
  nodeName: ${node}
  serviceAccountName: ${name}
  containers: [{name: main, command: ["/bin/sleep", "infinity"]}]
`;
const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
${pod("web", "node-1")}---
${pod("db", "node-2", "app: db")}`;

let dir: string;
let cp: ControlPlane;

async function admin(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://${cp.debugAddress}${path}`, {
    method,
    headers: { authorization: `Bearer ${cp.adminToken}` },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

function creds(): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(cp.trustBundle().join("\n")));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-cp-"));
  cp = await startControlPlane({ stateDir: dir, grpcPort: 0, debugPort: 0, nodes: NODES });
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("admin API", () => {
  test("needs the admin token", async () => {
    const res = await fetch(`http://${cp.debugAddress}/apis/v1/objects`);
    assert.equal(res.status, 401);
  });

  test("apply is all or nothing and reports every finding", async () => {
    const ok = await admin("POST", "/apis/v1/apply", { files: [{ name: "base.yaml", text: BASE }] });
    assert.equal(ok.status, 200);
    const bad = await admin("POST", "/apis/v1/apply", {
      files: [
        {
          name: "bad.yaml",
          text: `${pod("extra", "node-1")}---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec: {ports: [{port: 0}]}\n`,
        },
      ],
    });
    assert.equal(bad.status, 422);
    const findings = (bad.json as { findings: { file: string; path: string }[] }).findings;
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.path}`),
      ["bad.yaml:spec.ports[0].port"],
    );
    const pods = await admin("GET", "/apis/v1/objects?kind=Pod&namespace=shop");
    assert.deepEqual((pods.json as { metadata: { name: string } }[]).map((p) => p.metadata.name).sort(), [
      "db",
      "web",
    ]);
  });
});

test("pods made by a Deployment are listed with their node and IP", async () => {
  const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, command: ["/bin/sleep", "infinity"]}]
`;
  assert.equal(
    (await admin("POST", "/apis/v1/apply", { files: [{ name: "api.yaml", text: deploy }] })).status,
    200,
  );
  const pods = (await admin("GET", "/apis/v1/objects?kind=Pod&namespace=shop")).json as {
    metadata: { name: string };
    spec: { nodeName: string };
    status: { podIP: string };
    source: { kind: string };
  }[];
  const api = pods.filter((p) => p.metadata.name.startsWith("api-"));
  assert.equal(api.length, 3);
  assert.deepEqual(
    new Set(api.map((p) => p.spec.nodeName)),
    new Set(["node-1", "node-2"]),
    "spread over both nodes",
  );
  assert.ok(api.every((p) => /^10\.244\.[12]\.\d+$/.test(p.status.podIP) && p.source.kind === "generated"));
  assert.equal(
    (await admin("POST", "/apis/v1/delete", { files: [{ name: "api.yaml", text: deploy }] })).status,
    200,
  );
});

describe("CA through the control plane", () => {
  test("a node gets certificates only for workloads scheduled on it", async () => {
    const token = await cp.tokens.create("node-1");
    const client = createCaClient(cp.grpcAddress, creds());
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${token}`);
    const ask = (id: string) =>
      new Promise<{ certChain: string[] }>((resolve, reject) => {
        const { csrPem } = generateKeyAndCsr(id);
        client.CreateCertificate(
          {
            csr: csrPem,
            validityDuration: "3600",
            metadata: { fields: { [IMPERSONATED_IDENTITY_KEY]: { stringValue: id } } },
          },
          md,
          { deadline: Date.now() + 10_000 },
          (err: grpc.ServiceError | null, res?: { certChain: string[] }) =>
            err ? reject(err) : resolve(res!),
        );
      });
    try {
      const res = await ask("spiffe://cluster.local/ns/shop/sa/web");
      const chain = res.certChain;
      writeFileSync(join(dir, "leaf.pem"), chain[0]!);
      writeFileSync(join(dir, "root.pem"), chain.at(-1)!);
      const out = execFileSync(
        "openssl",
        ["verify", "-CAfile", join(dir, "root.pem"), join(dir, "leaf.pem")],
        { encoding: "utf8" },
      );
      assert.match(out, /OK/);
      const san = execFileSync(
        "openssl",
        ["x509", "-in", join(dir, "leaf.pem"), "-noout", "-ext", "subjectAltName"],
        { encoding: "utf8" },
      );
      assert.match(san, /URI:spiffe:\/\/cluster.local\/ns\/shop\/sa\/web/);
      await assert.rejects(
        ask("spiffe://cluster.local/ns/shop/sa/db"),
        (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
      );
    } finally {
      client.close();
    }
  });
});

describe("xDS with 100 proxies", () => {
  const clients: XdsClient[] = [];
  after(() => clients.forEach((c) => c.close()));

  test("a change to one pod reaches all 100 and is ACKed; a NACK shows in proxy status", async () => {
    const subs = [];
    for (let i = 0; i < 100; i++) {
      const id = `proxy-${i}`;
      const token = await cp.tokens.create(id);
      const c = new XdsClient({
        address: cp.grpcAddress,
        credentials: creds(),
        node: { id },
        token: () => token,
      });
      // proxy-99 refuses the web pod's workload, as a proxy with a bug or an older version might.
      const decode = (bytes: Uint8Array, name: string): AddressResource => {
        const a = decodeAddress(bytes);
        if (i === 99 && name.endsWith("/Pod/shop/web")) throw new Error("refusing web for the test");
        return a;
      };
      subs.push(c.subscribe(ADDRESS_TYPE_URL, { decode }));
      clients.push(c);
      c.start();
    }
    await Promise.all(subs.slice(0, 99).map((s) => s.synced()));

    const change = await admin("POST", "/apis/v1/apply", {
      files: [{ name: "v2.yaml", text: pod("db", "node-2", "app: db, version: v2") }],
    });
    assert.equal(change.status, 200);
    const version = cp.xds.version();
    cp.xds.flush();
    // All but proxy-99 ACK the new version.
    await waitFor(() => {
      const st = cp.xds.status();
      return (
        st.length === 100 &&
        st
          .filter((p) => p.nodeId !== "proxy-99")
          .every((p) => p.types.every((t) => t.ackedVersion >= version))
      );
    });
    for (const s of subs.slice(0, 99)) {
      const db = [...s.resources().values()].find((a) => a.kind === "workload" && a.workload.name === "db");
      assert.equal(db?.kind === "workload" && db.workload.labels.version, "v2");
    }
    const sync = await admin("GET", "/debug/syncz");
    const p99 = (sync.json as { nodeId: string; types: { lastNack?: { message: string } }[] }[]).find(
      (p) => p.nodeId === "proxy-99",
    );
    assert.match(p99?.types[0]?.lastNack?.message ?? "", /refusing web/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
