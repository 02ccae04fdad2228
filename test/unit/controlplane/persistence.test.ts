/**
 * Persistence of API-applied objects (store/persistence.ts): every accepted change is on disk
 * when apply returns, as one journal line rather than a rewrite of the whole store; a restart
 * reads store.json plus the journal; close folds the journal in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseText } from "../../../src/api/load.js";
import { createLogger } from "../../../src/common/log.js";
import { ConfigStore } from "../../../src/controlplane/store/store.js";

const log = createLogger("test");
const ns = (name: string, label = "x") =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {team: ${label}}\n`;
const docs = (text: string) => parseText(text, "in.yaml").documents;

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "ambit-persist-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const names = (s: ConfigStore) =>
  s
    .list()
    .map((o) => `${o.resource.metadata.name}:${o.resource.metadata.labels?.["team"]}`)
    .sort();

test("each change appends to the journal and survives a restart without close", (t) => {
  const dir = tmp(t);
  const s1 = new ConfigStore({ log, stateDir: dir });
  s1.apply(docs(`${ns("a")}---\n${ns("b")}`));
  const fullSize = existsSync(join(dir, "store.json")) ? statSync(join(dir, "store.json")).size : 0;
  s1.apply(docs(ns("a", "y")));
  s1.delete(["/Namespace//b"]);
  assert.equal(
    existsSync(join(dir, "store.json")) ? statSync(join(dir, "store.json")).size : 0,
    fullSize,
    "store.json is not rewritten for small changes",
  );
  assert.equal(readFileSync(join(dir, "store.journal"), "utf8").trim().split("\n").length, 3);

  const s2 = new ConfigStore({ log, stateDir: dir });
  assert.deepEqual(names(s2), ["a:y"]);
  assert.equal(s2.current().revision, 3);
  assert.equal(s2.list()[0]!.resource.metadata.generation, 2);
  // Start-up folded the journal into store.json.
  assert.equal(readFileSync(join(dir, "store.journal"), "utf8"), "");
  const s3 = new ConfigStore({ log, stateDir: dir });
  assert.deepEqual(names(s3), ["a:y"]);
});

test("close folds the journal into store.json", (t) => {
  const dir = tmp(t);
  const s1 = new ConfigStore({ log, stateDir: dir });
  s1.apply(docs(ns("a")));
  s1.apply(docs(ns("c")));
  s1.close();
  assert.equal(readFileSync(join(dir, "store.journal"), "utf8"), "");
  const saved = JSON.parse(readFileSync(join(dir, "store.json"), "utf8")) as {
    revision: number;
    objects: unknown[];
  };
  assert.equal(saved.revision, 2);
  assert.equal(saved.objects.length, 2);
});

test("a change cut short by a crash is ignored; the ones before it are kept", (t) => {
  const dir = tmp(t);
  const s1 = new ConfigStore({ log, stateDir: dir });
  s1.apply(docs(ns("a")));
  s1.apply(docs(ns("a", "y")));
  appendFileSync(join(dir, "store.journal"), '{"revision":3,"put":[{"apiVer');
  const s2 = new ConfigStore({ log, stateDir: dir });
  assert.deepEqual(names(s2), ["a:y"]);
  assert.equal(s2.current().revision, 2);
});

test("a large change is written in full; an unreadable store.json sets both files aside", (t) => {
  const dir = tmp(t);
  const s1 = new ConfigStore({ log, stateDir: dir });
  s1.apply(docs(Array.from({ length: 100 }, (_, i) => ns(`n${i}`)).join("---\n")));
  assert.equal(JSON.parse(readFileSync(join(dir, "store.json"), "utf8")).objects.length, 100);
  assert.ok(
    !existsSync(join(dir, "store.journal")) || readFileSync(join(dir, "store.journal"), "utf8") === "",
  );
  s1.apply(docs(ns("late")));
  writeFileSync(join(dir, "store.json"), "{not json");
  const s2 = new ConfigStore({ log, stateDir: dir });
  assert.equal(s2.list().length, 0);
  const files = readdirSync(dir);
  assert.ok(files.some((f) => f.startsWith("store.json.corrupt-")));
  assert.ok(files.some((f) => f.startsWith("store.journal.corrupt-")));
});
