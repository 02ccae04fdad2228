/**
 * Workload certificates through the control plane's CA over TLS gRPC, as a node proxy gets them:
 * node token + ImpersonatedIdentity, only for workloads on its node; an unreachable CA.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, test } from "node:test";
import type { AmbitError } from "../../../src/common/errors.js";
import { caSigner, WorkloadCertManager } from "../../../src/ztunnel/certs.js";
import { CLIENT_ID, SERVER_ID, SILENT, TD, startMesh, type Mesh } from "./harness.js";

let mesh: Mesh;
before(async () => {
  mesh = await startMesh();
});
after(async () => {
  await mesh?.close();
});

const creds = () => grpc.credentials.createSsl(Buffer.from(mesh.bundle().join("")));

function managerWith(token: string, clock?: () => number) {
  return new WorkloadCertManager({
    sign: caSigner({
      address: mesh.cp.grpcAddress,
      credentials: creds(),
      token: () => token,
      node: "node1",
      timeoutMs: 5_000,
    }),
    trustBundle: mesh.bundle,
    log: SILENT,
    ...(clock ? { clock } : {}),
  });
}

test("the node obtains certificates for its workloads, chained to the mesh root", async () => {
  const [client, server] = await Promise.all([mesh.certs.get(CLIENT_ID), mesh.certs.get(SERVER_ID)]);
  for (const [c, id] of [
    [client, CLIENT_ID],
    [server, SERVER_ID],
  ] as const) {
    const leaf = new X509Certificate(c.chainPem[0]!);
    assert.equal(leaf.subjectAltName, `URI:${id}`);
    assert.ok(leaf.verify(new X509Certificate(mesh.bundle()[0]!).publicKey));
  }
  assert.deepEqual(
    mesh.certs.list().map((r) => [r.identity, r.state]),
    [
      [CLIENT_ID, "Available"],
      [SERVER_ID, "Available"],
    ],
  );
});

test("a workload that is not on this node gets no certificate, and the error says why", async () => {
  const m = managerWith(mesh.token);
  try {
    await assert.rejects(m.get(`spiffe://${TD}/ns/shop/sa/elsewhere`), (e: AmbitError) => {
      assert.equal(e.code, "CERT_UNAVAILABLE");
      assert.match(e.message, /may not obtain a certificate/);
      assert.match(e.hint!, /scheduled on the caller's node/);
      return true;
    });
  } finally {
    m.close();
  }
});

test("an unknown node token is refused with the command that makes one", async () => {
  const m = managerWith("ambit-node-not-a-token");
  try {
    await assert.rejects(m.get(CLIENT_ID), (e: AmbitError) => /ambit node-token create node1/.test(e.hint!));
  } finally {
    m.close();
  }
});

test("when the control plane goes away the node keeps its certificate until it expires", async () => {
  // A second control plane, stopped halfway through.
  const own = await startMesh();
  let now = Date.now();
  const m = new WorkloadCertManager({
    sign: caSigner({
      address: own.cp.grpcAddress,
      credentials: grpc.credentials.createSsl(Buffer.from(own.bundle().join(""))),
      token: () => own.token,
      node: "node1",
      timeoutMs: 3_000,
    }),
    trustBundle: own.bundle,
    clock: () => now,
    log: SILENT,
  });
  try {
    const first = await m.get(CLIENT_ID);
    await own.cp.close();
    now = first.notBefore.getTime() + (first.notAfter.getTime() - first.notBefore.getTime()) * 0.75;
    await m.checkNow();
    assert.equal((await m.get(CLIENT_ID)).serial, first.serial);
    const row = m.list()[0]!;
    assert.equal(row.state, "Available");
    assert.match(row.error!, /failed/);
    now = first.notAfter.getTime() + 1;
    await assert.rejects(m.get(CLIENT_ID), (e: AmbitError) => e.code === "CERT_UNAVAILABLE");
    assert.equal(m.list()[0]!.state, "Unavailable");
  } finally {
    m.close();
    await own.close().catch(() => undefined);
  }
});
