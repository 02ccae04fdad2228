#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (npm run build). From a source checkout without
// a build, run `npx tsx src/cli/main.ts` instead.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write("error: ambit is not built; run `npm run build` (or scripts/install.sh) first\n");
  process.exit(1);
}
await import(compiled.href);
