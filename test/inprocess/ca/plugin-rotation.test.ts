import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { CertificateAuthority } from "../../../src/identity/ca.js";
import type { CaClient } from "../../../src/identity/ca-proto.js";
import { generateKeyAndCsr } from "../../../src/identity/csr.js";
import { ServingCertProvider } from "../../../src/identity/serving-cert.js";
import {
  makeRoot,
  makeSigned,
  opensslVerify,
  writeCacerts,
  type CertAndKey,
} from "../../unit/identity/openssl-pki.js";
import { connect, createCertificate, impersonating, startServer, type Running } from "./harness.js";

const TD = "cluster.local";
const HTTPBIN = `spiffe://${TD}/ns/default/sa/httpbin`;
const TOKEN = "node-a-token";

let work: string;
let cacerts: string;
let root1: CertAndKey;
let int1: CertAndKey;
let ca: CertificateAuthority;
let provider: ServingCertProvider;
let server: Running;
const clients: CaClient[] = [];

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

async function issue(rootsPem: string): Promise<string[]> {
  const client = connect(server.port, rootsPem);
  clients.push(client);
  const { res, err } = await createCertificate(
    client,
    { csr: generateKeyAndCsr(HTTPBIN).csrPem, metadata: impersonating(HTTPBIN) },
    TOKEN,
  );
  assert.equal(err, undefined, err?.details);
  return res!.certChain;
}

function nextChange(): Promise<void> {
  return new Promise((resolve) => {
    const off = ca.onChange(() => {
      off();
      resolve();
    });
  });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "ambit-rotation-"));
  cacerts = join(work, "cacerts");
  root1 = makeRoot(work, "root1");
  int1 = makeSigned(work, "int1", root1);
  writeCacerts(cacerts, int1, [int1.certPem, root1.certPem], [root1.certPem]);
  ca = await CertificateAuthority.open({
    trustDomain: TD,
    stateDir: join(work, "state"),
    pluginCertsDir: cacerts,
  });
  provider = new ServingCertProvider(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  server = await startServer(
    {
      ca,
      authenticate: (t) => (t === TOKEN ? { node: "node-a" } : undefined),
      mayIssue: (node, id) => node === "node-a" && id === HTTPBIN,
      trustDomain: TD,
      trustBundle: () => ca.trustBundle(),
    },
    grpc.experimental.createCertificateProviderServerCredentials(provider, null, false),
  );
});

after(async () => {
  clients.forEach((c) => c.close());
  await server.close();
  provider.close();
  rmSync(work, { recursive: true, force: true });
});

describe("plug-in CA over gRPC, and its rotation", () => {
  test("certificates chain to the operator's intermediate and verify against the operator's root", async () => {
    const chain = await issue(root1.certPem);
    assert.equal(chain.length, 3);
    assert.equal(fingerprint(chain[1]!), fingerprint(int1.certPem));
    assert.equal(fingerprint(chain[2]!), fingerprint(root1.certPem));
    const v = opensslVerify(work, root1.certPem, chain);
    assert.ok(v.ok, v.output);
  });

  test("new intermediate under the same root: reload, new certs chain to it", async () => {
    const int2 = makeSigned(work, "int2", root1);
    writeCacerts(cacerts, int2, [int2.certPem, root1.certPem], [root1.certPem]);
    await ca.reload();
    const chain = await issue(root1.certPem);
    assert.equal(fingerprint(chain[1]!), fingerprint(int2.certPem));
    const v = opensslVerify(work, root1.certPem, chain);
    assert.ok(v.ok, v.output);
  });

  test("a broken replacement is refused and the previous CA keeps signing", async () => {
    const before = await issue(root1.certPem);
    writeFileSync(
      join(cacerts, "ca-key.pem"),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await assert.rejects(ca.reload(), (e: unknown) => isAmbitError(e) && /ca-key\.pem/.test(e.message));
    const after = await issue(root1.certPem);
    assert.equal(fingerprint(after[1]!), fingerprint(before[1]!));
  });

  test("root rotation: both roots trusted during the transition, then only the new one", async () => {
    const root2 = makeRoot(work, "root2");
    const int3 = makeSigned(work, "int3", root2);
    writeCacerts(cacerts, int3, [int3.certPem, root2.certPem], [root1.certPem, root2.certPem]);
    await ca.reload();
    assert.deepEqual(ca.trustBundle().map(fingerprint), [
      fingerprint(root1.certPem),
      fingerprint(root2.certPem),
    ]);
    const chain = await issue(root1.certPem + root2.certPem);
    // As istiod does, the answer ends with the whole trust bundle: a proxy learns root2 from it.
    assert.deepEqual(chain.slice(-2).map(fingerprint), [
      fingerprint(root1.certPem),
      fingerprint(root2.certPem),
    ]);
    assert.equal(fingerprint(chain[1]!), fingerprint(int3.certPem));
    const v = opensslVerify(work, root2.certPem, chain);
    assert.ok(v.ok, v.output);
    assert.equal(
      opensslVerify(work, root1.certPem, chain).ok,
      false,
      "old root alone no longer verifies new certs",
    );

    writeCacerts(cacerts, int3, [int3.certPem, root2.certPem], [root2.certPem]);
    await ca.reload();
    assert.deepEqual(ca.trustBundle().map(fingerprint), [fingerprint(root2.certPem)]);
    // The control plane's own serving certificate followed: a client trusting only root2 connects.
    const again = await issue(root2.certPem);
    assert.ok(opensslVerify(work, root2.certPem, again).ok);
    assert.deepEqual(again.slice(1).map(fingerprint), [
      fingerprint(int3.certPem),
      fingerprint(root2.certPem),
    ]);
    assert.ok(
      new X509Certificate(provider.certificate()!.certChainPem).checkIssued(
        new X509Certificate(int3.certPem),
      ),
    );
  });

  test("watching the directory: replacing the files is picked up without a call to reload()", async () => {
    const watch = ca.watch({ debounceMs: 50 });
    try {
      const root2 = makeRoot(work, "root2b");
      const int4 = makeSigned(work, "int4", root2);
      const changed = nextChange();
      writeCacerts(cacerts, int4, [int4.certPem, root2.certPem], [root2.certPem]);
      await changed;
      const chain = await issue(root2.certPem);
      assert.equal(fingerprint(chain[1]!), fingerprint(int4.certPem));
      assert.ok(opensslVerify(work, root2.certPem, chain).ok);
    } finally {
      watch.close();
    }
  });
});
