#!/usr/bin/env node
// Runs the test suite on Node's built-in test runner, with TypeScript loaded through tsx.
// Node 20 does not expand globs for --test, so the files are listed here.
//   npm test                       every tier (unit, in-process, and namespaced when root), and the
//                                  benchmarks' own unit tests (bench/**/*.test.ts)
//   npm test -- test/unit          only the files under the given paths
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith(".test.ts")) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith("-"));
const searched = roots.length > 0 ? roots : ["test", "bench"];
const files = searched.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error("no test files found under", searched.join(" "));
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=180000", ...passthrough, ...files],
  { stdio: "inherit", env: { ...process.env, AMBIT_LOG_LEVEL: process.env.AMBIT_LOG_LEVEL ?? "silent" } },
);
process.exit(res.status ?? 1);
