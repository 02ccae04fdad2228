/**
 * Local mode's roots file (src/local/roots-file.ts): written when the cluster starts, rewritten
 * atomically whenever the CA reloads with other roots, left alone when they are the same.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { CertificateAuthority } from "../../../src/identity/index.js";
import { publishRoots } from "../../../src/local/roots-file.js";
import { parseRoots } from "../../../src/ztunnel/trust-bundle.js";

let dir: string;
let rootA: string;
let rootB: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-local-roots-"));
  const log = pino({ level: "silent" });
  rootA = (
    await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir: join(dir, "a"), log })
  ).trustBundle()[0]!;
  rootB = (
    await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir: join(dir, "b"), log })
  ).trustBundle()[0]!;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("the roots file follows the CA's trust bundle", () => {
  // A CA whose bundle the test changes, with the CertificateAuthority's onChange contract.
  let bundle = [rootA];
  const listeners = new Set<() => void>();
  const ca = {
    trustBundle: () => [...bundle],
    onChange: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const reload = () => listeners.forEach((l) => l());
  const file = join(dir, "roots.pem");
  const stop = publishRoots(ca, file, pino({ level: "silent" }));

  assert.deepEqual(parseRoots(readFileSync(file, "utf8"), file), [rootA]);
  assert.equal(statSync(file).mode & 0o777, 0o644, "readable by the node proxies");

  const before = statSync(file).ino;
  reload();
  assert.equal(statSync(file).ino, before, "same roots: not rewritten");

  bundle = [rootA, rootB];
  reload();
  assert.deepEqual(parseRoots(readFileSync(file, "utf8"), file), [rootA, rootB]);
  assert.notEqual(statSync(file).ino, before, "replaced by a rename, never written in place");

  stop();
  bundle = [rootB];
  reload();
  assert.deepEqual(parseRoots(readFileSync(file, "utf8"), file), [rootA, rootB], "stopped following");
});
