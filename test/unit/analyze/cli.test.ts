/** `ambit analyze` as a process: output format, JSON, exit status. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const main = join(import.meta.dirname, "../../../src/cli/main.ts");
const corpus = join(import.meta.dirname, "../../corpus/analyze");

const scratch = mkdtempSync(join(tmpdir(), "ambit-analyze-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const warningOnly = join(scratch, "warning-only.yaml");
writeFileSync(
  warningOnly,
  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: wp, namespace: app }\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{ name: http, port: 80, protocol: HTTP }]\n",
);

function ambit(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, "analyze", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cases: { name: string; args: string[]; status: number; stdout?: RegExp[]; stderr?: RegExp[] }[] = [
  {
    name: "a clean input exits 0",
    args: ["-f", join(corpus, "clean-bookinfo-ambient.yaml")],
    status: 0,
    stderr: [/^no problems found in 19 document\(s\)$/m],
  },
  {
    name: "findings print like validate's, with the code, and errors exit 1",
    args: ["-f", join(corpus, "references-routes.yaml")],
    status: 1,
    stdout: [
      /references-routes\.yaml:2: HTTPRoute web\/front: spec\.parentRefs\[0\]\.name: \[IST0101\] Referenced parent Gateway not found/,
    ],
    stderr: [/^9 error\(s\), 0 warning\(s\) in 5 document\(s\)$/m],
  },
  {
    name: "warnings alone exit 0",
    args: ["-f", warningOnly],
    status: 0,
    stdout: [/^.*warning-only\.yaml:0: Gateway app\/wp: spec\.listeners: warning: \[AMB0005\]/m],
    stderr: [/^0 error\(s\), 1 warning\(s\) in 1 document\(s\)$/m],
  },
  {
    name: "--list-codes",
    args: ["--list-codes"],
    status: 0,
    stdout: [
      /^CODE\s+LEVEL\s+NAME\s+MEANING$/m,
      /^IST0101\s+error\s+ReferencedResourceNotFound/m,
      /^AMB0001\s+error\s+L7AuthorizationAtNodeProxy/m,
    ],
  },
  { name: "no input is a usage error", args: [], status: 2, stderr: [/no input/] },
  { name: "an unknown output format is a usage error", args: ["-f", corpus, "-o", "yaml"], status: 2 },
  {
    name: "a missing file is a usage error",
    args: ["-f", join(corpus, "nope.yaml")],
    status: 2,
    stderr: [/no such file/],
  },
];

for (const c of cases)
  test(`ambit analyze: ${c.name}`, () => {
    const r = ambit(...c.args);
    assert.equal(r.status, c.status, `${r.stdout}\n${r.stderr}`);
    for (const re of c.stdout ?? []) assert.match(r.stdout, re);
    for (const re of c.stderr ?? []) assert.match(r.stderr, re);
  });

test("ambit analyze: -o json carries codes and severities", () => {
  const r = ambit("-f", join(corpus, "subsets.yaml"), "-o", "json");
  assert.equal(r.status, 1);
  const out = JSON.parse(r.stdout) as {
    valid: boolean;
    documents: number;
    analyzed: number;
    findings: { code: string; severity: string; path?: string }[];
  };
  assert.equal(out.valid, false);
  assert.equal(out.documents, 10);
  assert.equal(out.analyzed, 10);
  assert.deepEqual(
    out.findings.map((f) => [f.code, f.severity, f.path]),
    [
      ["IST0173", "error", "spec.subsets[2].labels"],
      ["IST0173", "error", "spec.subsets[3].labels"],
      ["IST0173", "error", "spec.subsets[1].labels"],
    ],
  );
});

test("ambit analyze: a directory, as -f takes it", () => {
  const r = ambit("-f", corpus);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /\[AMB0001\]/);
  assert.match(r.stdout, /\[AMB0011\]/);
});

test("ambit analyze: --root-namespace", () => {
  const r = ambit("-f", join(corpus, "peerauthn-conflicts.yaml"), "--root-namespace", "data");
  assert.match(r.stdout, /PeerAuthentication data\/db-strict: spec\.selector: warning: \[AMB0012\]/);
  assert.doesNotMatch(r.stdout, /istio-system\/db-strict: spec\.selector: warning: \[AMB0012\]/);
});
