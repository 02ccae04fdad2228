/**
 * The control plane side of a root rotation: once the node proxy trusts both roots, the operator
 * switches the CA to an intermediate of the new root and the control plane restarts with it (its
 * serving certificate now chains to the new root only). The running proxy reconnects to it —
 * its gRPC channel verifies the control plane against the current trust bundle, not the one it
 * started with — and keeps receiving configuration.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { makeRoot, makeSigned, writeCacerts, type CertAndKey } from "../../unit/identity/openssl-pki.js";
import { startRig, until, untilAsync, type Rig } from "./harness.js";

let work: string;
let cacerts: string;
let root1: CertAndKey;
let root2: CertAndKey;
let rig: Rig;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "ambit-roots-reconnect-"));
  cacerts = join(work, "cacerts");
  root1 = makeRoot(work, "root1");
  root2 = makeRoot(work, "root2");
  const int1 = makeSigned(work, "int1", root1);
  writeCacerts(cacerts, int1, [int1.certPem, root1.certPem], [root1.certPem]);
  rig = await startRig({ cacertsDir: cacerts });
});

after(async () => {
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

test("after the CA moves to the new root, the proxy reconnects and keeps getting config", async () => {
  // Step 1 of the rotation: publish both roots; the proxy follows the roots file.
  writeFileSync(join(cacerts, "root-cert.pem"), root1.certPem + root2.certPem);
  await untilAsync(
    async () =>
      (await rig.dump()).trustBundle.roots.some((r) => r.fingerprint256 === fingerprint(root2.certPem)),
    "the proxy trusts root2",
  );

  // Step 2: sign with an intermediate of root2, and restart the control plane with it.
  const int2 = makeSigned(work, "int2", root2);
  writeCacerts(cacerts, int2, [int2.certPem, root2.certPem], [root1.certPem, root2.certPem]);
  await rig.restartControlPlane();
  assert.equal(rig.cp.ca.trustBundle().length, 2);

  // Only a proxy that verifies the new serving certificate (root2) gets this.
  rig.apply(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: after-restart, namespace: shop}
spec: {mtls: {mode: PERMISSIVE}}
`);
  await until(
    () => rig.z.state.peerAuthentications().some((p) => p.metadata.name === "after-restart"),
    "the proxy receives config from the restarted control plane",
    1_200,
  );
  const dump = await rig.dump();
  assert.equal(dump.trustBundle.roots.length, 2);
});
