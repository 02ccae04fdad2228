/**
 * Analysis corpus: test/corpus/analyze/*.yaml. Each file is loaded, validated and analyzed as
 * `ambit analyze -f FILE` does. For each `# expect: TEXT` comment line, some printed finding
 * must contain TEXT; every printed finding must be explained by an `expect` line. A file without
 * `expect` lines is a clean input and must produce no finding at all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFiles } from "../../../src/api/load.js";
import { analyzeDocuments, formatAnalysisFinding } from "../../../src/analyze/index.js";

const root = join(import.meta.dirname, "../../corpus/analyze");

function run(file: string): string[] {
  const loaded = loadFiles([file]);
  const result = analyzeDocuments(loaded.documents);
  return [...loaded.findings, ...result.findings].map(formatAnalysisFinding);
}

function expectations(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("# expect:"))
    .map((l) => l.slice("# expect:".length).trim());
}

const files = readdirSync(root)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
  .map((f) => join(root, f));

test("the analysis corpus is not empty", () => {
  assert.ok(files.length >= 5);
  assert.ok(
    files.some((f) => expectations(f).length === 0),
    "the corpus must hold at least one clean input",
  );
});

for (const file of files) {
  const name = file.slice(root.length + 1);
  const expected = expectations(file);
  test(`${expected.length === 0 ? "clean" : "findings"}: ${name}`, () => {
    const lines = run(file);
    for (const e of expected)
      assert.ok(
        lines.some((l) => l.includes(e)),
        `expected a finding containing ${JSON.stringify(e)}; got:\n${lines.join("\n")}`,
      );
    const unexplained = lines.filter((l) => !expected.some((e) => l.includes(e)));
    assert.deepEqual(unexplained, [], "findings no `# expect:` line explains");
  });
}
