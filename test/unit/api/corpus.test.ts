/**
 * Validation corpus. Every file under test/corpus/valid must validate with no error (warnings
 * are allowed only where the file says `# expect-warning: TEXT`). Every file under
 * test/corpus/invalid must produce, for each `# expect: TEXT` comment line it holds, a finding
 * whose formatted line contains TEXT, and no finding that no `expect` line explains.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatFinding } from "../../../src/api/findings.js";
import { loadFiles } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";

const root = join(import.meta.dirname, "../../corpus");

function run(file: string) {
  const loaded = loadFiles([file]);
  const validated = validateAll(loaded.documents);
  return [...loaded.findings, ...validated.findings];
}

function expectations(file: string, marker: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`# ${marker}:`))
    .map((l) => l.slice(marker.length + 3).trim());
}

function files(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(root, dir, f));
}

for (const file of files("valid")) {
  test(`valid: ${file.slice(root.length + 1)}`, () => {
    const findings = run(file);
    const warnings = expectations(file, "expect-warning");
    const unexplained = findings
      .map(formatFinding)
      .filter((line) => !warnings.some((w) => line.includes("warning:") && line.includes(w)));
    assert.deepEqual(unexplained, [], "a valid document produced findings");
  });
}

for (const file of files("invalid")) {
  test(`invalid: ${file.slice(root.length + 1)}`, () => {
    const lines = run(file).map(formatFinding);
    const expected = expectations(file, "expect");
    assert.ok(expected.length > 0, "an invalid corpus file must say what it expects with `# expect:` lines");
    for (const e of expected)
      assert.ok(
        lines.some((l) => l.includes(e)),
        `expected a finding containing ${JSON.stringify(e)}; got:\n${lines.join("\n")}`,
      );
    const unexplained = lines.filter((l) => !expected.some((e) => l.includes(e)));
    assert.deepEqual(unexplained, [], "findings no `# expect:` line explains");
  });
}

test("suggestions prefer the closest spelling over a mere prefix", async () => {
  const { closest } = await import("../../../src/api/suggest.js");
  assert.equal(closest("HTTPS2", ["HTTP", "HTTPS", "GRPC"]), "HTTPS");
  assert.equal(closest("DNS_ROUNDROBIN", ["DNS", "DNS_ROUND_ROBIN", "STATIC"]), "DNS_ROUND_ROBIN");
  assert.equal(closest("principal", ["principals", "notPrincipals"]), "principals");
  assert.equal(closest("zzzz", ["principals"]), undefined);
});
