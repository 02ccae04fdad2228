/**
 * The roots file watcher on a real directory: a replaced file is reported once, a broken one
 * (empty, half written, gone) keeps the last good bundle with one warning per problem, and a file
 * replaced the way local mode and Kubernetes do it (rename over) is noticed without being asked.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { CertificateAuthority } from "../../../src/identity/index.js";
import { RootsFileWatcher } from "../../../src/ztunnel/roots-file.js";
import { capturingLogger } from "../log-capture.js";

let dir: string;
let rootA: string;
let rootB: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-roots-file-"));
  const log = pino({ level: "silent" });
  const a = await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir: join(dir, "a"), log });
  const b = await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir: join(dir, "b"), log });
  rootA = a.trustBundle()[0]!;
  rootB = b.trustBundle()[0]!;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("RootsFileWatcher", () => {
  it("reports a new bundle once, and keeps the last good one through broken content", () => {
    const file = join(dir, "check.pem");
    writeFileSync(file, rootA);
    const seen: string[][] = [];
    const { log, warnings } = capturingLogger();
    const w = new RootsFileWatcher({
      path: file,
      initialText: rootA,
      onRoots: (r) => seen.push(r.map(fp)),
      pollMs: 3_600_000,
      log,
    });
    try {
      assert.equal(w.check(), false, "unchanged content is not reported");

      writeFileSync(file, rootA + rootB);
      assert.equal(w.check(), true);
      assert.equal(w.check(), false);
      assert.deepEqual(seen, [[fp(rootA), fp(rootB)]]);

      for (const broken of ["", rootB.slice(0, 300)]) {
        writeFileSync(file, broken);
        assert.equal(w.check(), false);
        assert.equal(w.check(), false);
      }
      rmSync(file);
      assert.equal(w.check(), false);
      assert.match(w.status().error ?? "", /cannot read it/);
      assert.equal(w.status().roots, 2, "the last good bundle is what counts");
      assert.equal(warnings().length, 2, "one warning per distinct problem (empty twice, then gone)");
      assert.equal(seen.length, 1, "nothing reported while broken");

      writeFileSync(file, rootB);
      assert.equal(w.check(), true);
      assert.equal(w.status().error, undefined);
      assert.deepEqual(seen.at(-1), [fp(rootB)]);
    } finally {
      w.close();
    }
  });

  it("a file replaced between the caller's read and the watcher's start is reported at once", () => {
    const file = join(dir, "late.pem");
    writeFileSync(file, rootA + rootB); // the caller read rootA; then the file changed
    const seen: string[][] = [];
    const w = new RootsFileWatcher({
      path: file,
      initialText: rootA,
      onRoots: (r) => seen.push(r.map(fp)),
      pollMs: 3_600_000,
      log: pino({ level: "silent" }),
    });
    w.close();
    assert.deepEqual(seen, [[fp(rootA), fp(rootB)]]);
  });

  it("notices a file renamed over the old one without being asked", async () => {
    const sub = mkdtempSync(join(dir, "watch-"));
    const file = join(sub, "roots.pem");
    writeFileSync(file, rootA);
    const seen: string[][] = [];
    const w = new RootsFileWatcher({
      path: file,
      initialText: rootA,
      onRoots: (r) => seen.push(r.map(fp)),
      debounceMs: 10,
      pollMs: 100,
      log: pino({ level: "silent" }),
    });
    try {
      writeFileSync(`${file}.tmp`, rootA + rootB);
      renameSync(`${file}.tmp`, file);
      for (let i = 0; i < 400 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(seen, [[fp(rootA), fp(rootB)]]);
    } finally {
      w.close();
    }
  });
});
