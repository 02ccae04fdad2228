/**
 * Plug-in CA root rotation as an operator does it (docs/identity.md): the control plane signs
 * with an intermediate of root1; the operator publishes a root-cert.pem holding root1 and a new
 * root2. The control plane reloads, rewrites the roots file the node proxy follows, and the
 * running proxy — never restarted — accepts HBONE peers presenting a certificate of either root,
 * while connections made before the change keep working.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CertificateAuthority } from "../../../src/identity/index.js";
import type { WorkloadCert } from "../../../src/ztunnel/certs.js";
import { HbonePool, type HboneStream } from "../../../src/ztunnel/hbone/client.js";
import { makeRoot, makeSigned, writeCacerts, type CertAndKey } from "../../unit/identity/openssl-pki.js";
import {
  CLIENT_ID,
  SERVER_ID,
  SERVER_PORT,
  SILENT,
  TD,
  certFrom,
  startRig,
  untilAsync,
  type Rig,
} from "./harness.js";

let work: string;
let cacerts: string;
let root1: CertAndKey;
let int1: CertAndKey;
let root2Ca: CertificateAuthority;
let root2Pem: string;
let rig: Rig;
const pools: HbonePool[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "ambit-roots-rotation-"));
  cacerts = join(work, "cacerts");
  root1 = makeRoot(work, "root1");
  int1 = makeSigned(work, "int1", root1);
  writeCacerts(cacerts, int1, [int1.certPem, root1.certPem], [root1.certPem]);
  // The new root: a separate CA of the same trust domain (its own self-signed root).
  root2Ca = await CertificateAuthority.open({ trustDomain: TD, stateDir: join(work, "root2"), log: SILENT });
  root2Pem = root2Ca.trustBundle()[0]!;
  rig = await startRig({ cacertsDir: cacerts });
});

after(async () => {
  for (const p of pools) await p.close();
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A peer node proxy: presents `cert`, verifies the server against `roots`. */
function peer(cert: WorkloadCert, roots: string[]): HbonePool {
  const p = new HbonePool({
    certFor: async () => cert,
    trustBundle: () => roots,
    connectTimeoutMs: 5_000,
    log: SILENT,
  });
  pools.push(p);
  return p;
}

function open(p: HbonePool): Promise<HboneStream> {
  return p.open({
    sourceIdentity: CLIENT_ID,
    destinationIdentity: SERVER_ID,
    hbone: { ip: "127.0.0.1", port: rig.z.ports.hbone },
    authority: `${rig.serverIp}:${SERVER_PORT}`,
  });
}

/** Writes `text` into the tunnel and reads the echo of exactly that many bytes. */
function roundTrip(s: HboneStream, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.length >= text.length) {
        s.off("data", onData);
        resolve(got);
      }
    };
    s.on("data", onData);
    s.once("error", reject);
    s.write(text);
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("node proxy follows a plug-in CA root rotation without a restart", () => {
  let before1: HboneStream;

  test("before: root1 peers are served, root2 peers are refused", async () => {
    const dump = await rig.dump();
    assert.deepEqual(
      dump.trustBundle.roots.map((r) => r.fingerprint256),
      [fingerprint(root1.certPem)],
    );
    before1 = await open(peer(certFrom(rig.cp.ca, CLIENT_ID), [root1.certPem]));
    assert.equal(await roundTrip(before1, "old-root"), "old-root");
    await assert.rejects(open(peer(certFrom(root2Ca, CLIENT_ID), [root1.certPem])));
  });

  test("after root-cert.pem holds both roots: both are accepted, old tunnels keep working", async () => {
    writeFileSync(join(cacerts, "root-cert.pem"), root1.certPem + root2Pem);
    // The control plane reloads its CA and rewrites the roots file; the proxy picks it up.
    await untilAsync(async () => {
      const d = await rig.dump();
      return d.trustBundle.roots.some((r) => r.fingerprint256 === fingerprint(root2Pem));
    }, "the proxy's trust bundle holds root2");
    const dump = await rig.dump();
    assert.deepEqual(
      dump.trustBundle.roots.map((r) => r.fingerprint256).sort(),
      [fingerprint(root1.certPem), fingerprint(root2Pem)].sort(),
    );
    assert.equal(dump.trustBundle.file?.roots, 2);
    assert.equal(dump.trustBundle.file?.error, undefined);

    const fromRoot2 = await open(peer(certFrom(root2Ca, CLIENT_ID), [root1.certPem, root2Pem]));
    assert.equal(await roundTrip(fromRoot2, "new-root"), "new-root");
    const fromRoot1 = await open(peer(certFrom(rig.cp.ca, CLIENT_ID), [root1.certPem, root2Pem]));
    assert.equal(await roundTrip(fromRoot1, "old-root-again"), "old-root-again");
    assert.equal(await roundTrip(before1, "still-open"), "still-open");
    for (const s of [fromRoot2, fromRoot1, before1]) s.destroy();
  });

  test("a broken roots file keeps the last good bundle and says why", async () => {
    writeFileSync(rig.rootsFile, "not a certificate\n");
    await untilAsync(async () => (await rig.dump()).trustBundle.file?.error !== undefined, "the error shows");
    const dump = await rig.dump();
    assert.match(dump.trustBundle.file?.error ?? "", /no PEM certificate/);
    assert.equal(dump.trustBundle.roots.length, 2);
    const fromRoot2 = await open(peer(certFrom(root2Ca, CLIENT_ID), [root1.certPem, root2Pem]));
    assert.equal(await roundTrip(fromRoot2, "kept"), "kept");
    fromRoot2.destroy();
  });
});
