/**
 * `npm run bench -- <suite>`: runs one benchmark suite, prints a table and writes
 * bench/results/<suite>.json. Speed targets are checked here, never in tests.
 */
process.env.AMBIT_LOG_LEVEL ??= "warn";

const suites: Record<string, () => Promise<void>> = {
  controlplane: async () => (await import("./controlplane.js")).run(),
  l4: async () => (await import("./l4.js")).run(),
};

const name = process.argv[2];
if (!name || !suites[name]) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(suites).join("|")}>\n`);
  process.exit(2);
}
await suites[name]!();
