import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CertificateAuthority } from "../../../src/identity/ca.js";
import type { CaClient } from "../../../src/identity/ca-proto.js";
import { generateKeyAndCsr } from "../../../src/identity/csr.js";
import { NodeTokenStore } from "../../../src/identity/node-tokens.js";
import { opensslVerify } from "../../unit/identity/openssl-pki.js";
import { connect, createCertificate, impersonating, startServer, type Running } from "./harness.js";

const TD = "cluster.local";
const HTTPBIN = `spiffe://${TD}/ns/default/sa/httpbin`;
const SLEEP = `spiffe://${TD}/ns/default/sa/sleep`;
// node -> identities of the workloads scheduled on it
const placement: Record<string, string[]> = { "node-a": [HTTPBIN], "node-b": [SLEEP] };

let dir: string;
let ca: CertificateAuthority;
let tokens: NodeTokenStore;
let tokenA: string;
let server: Running;
let client: CaClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-ca-grpc-"));
  ca = await CertificateAuthority.open({ trustDomain: TD, stateDir: dir });
  tokens = await NodeTokenStore.open(dir);
  tokenA = await tokens.create("node-a");
  await tokens.create("node-b");
  const serving = ca.issueServingCert({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  server = await startServer(
    {
      ca,
      authenticate: (t) => tokens.authenticate(t),
      mayIssue: (node, id) => placement[node]?.includes(id) ?? false,
      trustDomain: TD,
    },
    grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(serving.keyPem), cert_chain: Buffer.from(serving.certChainPem) },
    ]),
  );
  client = connect(server.port, ca.trustBundle().join(""));
});

after(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("IstioCertificateService/CreateCertificate over TLS", () => {
  test("a node proxy obtains a certificate for a workload on its node (ImpersonatedIdentity)", async () => {
    const { keyPem, csrPem } = generateKeyAndCsr(HTTPBIN);
    const { res, err } = await createCertificate(
      client,
      { csr: csrPem, validityDuration: "86400", metadata: impersonating(HTTPBIN) },
      tokenA,
    );
    assert.equal(err, undefined);
    const chain = res!.certChain;
    assert.equal(chain.length, 2, "leaf and root");
    for (const pem of chain)
      assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const leaf = new X509Certificate(chain[0]!);
    assert.equal(leaf.subjectAltName, `URI:${HTTPBIN}`);
    assert.equal(leaf.checkPrivateKey(createPrivateKey(keyPem)), true);
    assert.equal(chain[1], ca.trustBundle()[0]);
    const v = opensslVerify(dir, ca.trustBundle().join(""), chain);
    assert.ok(v.ok, v.output);
  });

  test("without impersonation the identity is the CSR's URI SAN", async () => {
    const { res, err } = await createCertificate(client, { csr: generateKeyAndCsr(HTTPBIN).csrPem }, tokenA);
    assert.equal(err, undefined);
    assert.equal(new X509Certificate(res!.certChain[0]!).subjectAltName, `URI:${HTTPBIN}`);
  });

  test("requested validity is honoured (1h, backdated a minute)", async () => {
    const { res } = await createCertificate(
      client,
      { csr: generateKeyAndCsr(HTTPBIN).csrPem, validityDuration: "3600" },
      tokenA,
    );
    const leaf = new X509Certificate(res!.certChain[0]!);
    assert.equal(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom), 3600_000 + 60_000);
  });

  test("a workload scheduled on another node is refused with PERMISSION_DENIED naming node and identity", async () => {
    const { err } = await createCertificate(
      client,
      { csr: generateKeyAndCsr(SLEEP).csrPem, metadata: impersonating(SLEEP) },
      tokenA,
    );
    assert.equal(err?.code, grpc.status.PERMISSION_DENIED);
    assert.match(
      err!.details,
      /node node-a may not obtain a certificate for spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep/,
    );
  });

  test("an identity in another trust domain is refused with PERMISSION_DENIED", async () => {
    const other = "spiffe://evil.example/ns/default/sa/httpbin";
    const { err } = await createCertificate(
      client,
      { csr: generateKeyAndCsr(other).csrPem, metadata: impersonating(other) },
      tokenA,
    );
    assert.equal(err?.code, grpc.status.PERMISSION_DENIED);
  });

  const unauthenticated: Array<[string, string | undefined]> = [
    ["missing token", undefined],
    ["unknown token", "ambit-node-not-a-real-token"],
    ["empty bearer", ""],
  ];
  for (const [name, token] of unauthenticated) {
    test(`${name} → UNAUTHENTICATED`, async () => {
      const { err } = await createCertificate(client, { csr: generateKeyAndCsr(HTTPBIN).csrPem }, token);
      assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
    });
  }

  test("a revoked token → UNAUTHENTICATED", async () => {
    const t = await tokens.create("node-c");
    await tokens.revoke("node-c");
    const { err } = await createCertificate(client, { csr: generateKeyAndCsr(HTTPBIN).csrPem }, t);
    assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
  });

  const rsaCsr = (): string =>
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=x",
        "-addext",
        `subjectAltName=URI:${HTTPBIN}`,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
  const noSanCsr = (): string =>
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=x",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
  const invalid: Array<[string, () => Parameters<typeof createCertificate>[1], RegExp]> = [
    ["garbage CSR", () => ({ csr: "this is not a CSR" }), /CERTIFICATE REQUEST/],
    ["empty request", () => ({}), /CERTIFICATE REQUEST/],
    ["RSA key", () => ({ csr: rsaCsr() }), /EC P-256/],
    [
      "negative validity",
      () => ({ csr: generateKeyAndCsr(HTTPBIN).csrPem, validityDuration: "-60" }),
      /validity_duration/,
    ],
    [
      "CSR SAN differs from impersonated identity",
      () => ({ csr: generateKeyAndCsr(SLEEP).csrPem, metadata: impersonating(HTTPBIN) }),
      /does not match/,
    ],
    [
      "ImpersonatedIdentity not a string",
      () => ({
        csr: generateKeyAndCsr(HTTPBIN).csrPem,
        metadata: { fields: { ImpersonatedIdentity: { numberValue: 3 } } },
      }),
      /must be a string/,
    ],
    [
      "malformed identity",
      () => ({ csr: noSanCsr(), metadata: impersonating("spiffe://cluster.local/httpbin") }),
      /not a valid workload identity/,
    ],
    ["no identity anywhere", () => ({ csr: noSanCsr() }), /no identity requested/],
  ];
  for (const [name, req, details] of invalid) {
    test(`${name} → INVALID_ARGUMENT`, async () => {
      const { err } = await createCertificate(client, req(), tokenA);
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, err?.details);
      assert.match(err!.details, details);
    });
  }

  test("the server keeps serving after all that", async () => {
    const { err } = await createCertificate(client, { csr: generateKeyAndCsr(HTTPBIN).csrPem }, tokenA);
    assert.equal(err, undefined);
  });

  test("a client that does not trust the mesh root cannot even connect", async () => {
    const stranger = mkdtempSync(join(tmpdir(), "ambit-ca-other-"));
    const otherCa = await CertificateAuthority.open({ trustDomain: TD, stateDir: stranger });
    const c = connect(server.port, otherCa.trustBundle().join(""));
    const { err } = await createCertificate(c, { csr: generateKeyAndCsr(HTTPBIN).csrPem }, tokenA);
    c.close();
    rmSync(stranger, { recursive: true, force: true });
    assert.equal(err?.code, grpc.status.UNAVAILABLE);
  });
});
