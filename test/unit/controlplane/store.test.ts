import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseText } from "../../../src/api/load.js";
import { createLogger } from "../../../src/common/log.js";
import { ConfigStore } from "../../../src/controlplane/store/store.js";

const log = createLogger("test");

const ns = (name: string, extra = "") =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${extra}`;
const sa = (name: string, namespace = "default") =>
  `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;

function docs(text: string, file = "in.yaml") {
  return parseText(text, file).documents;
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "ambit-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("apply creates, then reports unchanged and configured, with revisions", () => {
  const store = new ConfigStore({ log });
  const r1 = store.apply(docs(`${ns("a")}---\n${sa("x", "a")}`));
  assert.equal(r1.ok, true);
  assert.equal(r1.revision, 1);
  assert.deepEqual(r1.record?.created, ["/Namespace//a", "/ServiceAccount/a/x"]);
  const r2 = store.apply(docs(ns("a")));
  assert.equal(r2.revision, 1, "an identical apply is not a new revision");
  assert.deepEqual(r2.record?.unchanged, ["/Namespace//a"]);
  const r3 = store.apply(docs(ns("a", "  labels:\n    istio.io/dataplane-mode: ambient\n")));
  assert.equal(r3.revision, 2);
  assert.deepEqual(r3.record?.updated, ["/Namespace//a"]);
  const stored = store.list({ kind: "namespace" })[0]!.resource.metadata;
  assert.equal(stored.generation, 2);
  assert.equal(stored.resourceVersion, "2");
  assert.ok(stored.uid);
});

test("one invalid document rejects the whole change and keeps the last good config", () => {
  const store = new ConfigStore({ log });
  store.apply(docs(ns("keep")));
  let notified = 0;
  store.subscribe(() => notified++);
  const bad = `${ns("new-one")}---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 0}]\n`;
  const r = store.apply(docs(bad));
  assert.equal(r.ok, false);
  assert.ok(r.findings.some((f) => f.path === "spec.ports[0].port"));
  assert.deepEqual(
    store.list().map((o) => o.resource.metadata.name),
    ["keep"],
  );
  assert.equal(store.current().revision, 1);
  assert.equal(notified, 0);
});

test("delete of a missing object fails without deleting the others", () => {
  const store = new ConfigStore({ log });
  store.apply(docs(`${ns("a")}---\n${ns("b")}`));
  const r = store.delete(["/Namespace//a", "/Namespace//nope"]);
  assert.equal(r.ok, false);
  assert.match(r.findings[0]!.message, /Namespace\/\/nope: not found/);
  assert.equal(store.list().length, 2);
  assert.equal(store.delete(["/Namespace//a"]).ok, true);
  assert.deepEqual(
    store.list().map((o) => o.resource.metadata.name),
    ["b"],
  );
});

test("API-applied objects survive a restart; a corrupt store file is set aside", (t) => {
  const dir = tmp(t);
  const s1 = new ConfigStore({ log, stateDir: dir });
  s1.apply(docs(ns("persisted")));
  const s2 = new ConfigStore({ log, stateDir: dir });
  assert.deepEqual(
    s2.list().map((o) => o.resource.metadata.name),
    ["persisted"],
  );
  assert.equal(s2.current().revision, 1);
  writeFileSync(join(dir, "store.json"), "{not json");
  const s3 = new ConfigStore({ log, stateDir: dir });
  assert.equal(s3.list().length, 0);
});

test("watched directory: load, bad edit keeps last good, removal deletes, ownership enforced", (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, "a.yaml"), `${ns("from-dir")}---\n${sa("x", "from-dir")}`);
  const store = new ConfigStore({ log });
  assert.equal(store.reloadDirectory(dir).ok, true);
  assert.equal(store.list().length, 2);

  writeFileSync(
    join(dir, "a.yaml"),
    `${ns("from-dir")}---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n`,
  );
  const bad = store.reloadDirectory(dir);
  assert.equal(bad.ok, false);
  assert.equal(store.list().length, 2, "last good config stays");
  assert.ok(store.dirFindings.some((f) => f.path === "spec.containers"));

  writeFileSync(join(dir, "a.yaml"), ns("from-dir"));
  assert.equal(store.reloadDirectory(dir).ok, true);
  assert.deepEqual(
    store.list().map((o) => o.resource.kind),
    ["Namespace"],
  );
  assert.deepEqual(store.list()[0]!.source, { kind: "dir", file: join(dir, "a.yaml") });

  const viaApi = store.apply(docs(ns("from-dir", "  labels: {a: b}\n")));
  assert.equal(viaApi.ok, false);
  assert.match(viaApi.findings[0]!.message, /owned by the watched directory/);
});

test("findings name the line in the file, in any document of a multi-document file or List", () => {
  const store = new ConfigStore({ log });
  const text = [
    ns("a"),
    `# second\n${sa("x", "a")}`,
    "apiVersion: v1\nkind: List\nitems:\n" +
      "- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: ok\n    namespace: a\n" +
      "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: Bad_Name\n",
  ].join("---\n");
  const r = store.apply(docs(text));
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.findings.map((f) => [f.docIndex, f.path, f.line]),
    [[2, "items[1].metadata.name", 24]],
  );
  // Syntax errors too, with the column.
  const bad = parseText(`${ns("a")}---\nkind: a: b\nx: 1\n`, "in.yaml");
  assert.deepEqual(
    bad.findings.map((f) => [f.code, f.docIndex, f.line, f.column]),
    [["YAML_SYNTAX", 1, 6, 7]],
  );
});
