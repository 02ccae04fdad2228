/**
 * How a child process runs this project's own code: the CLI, or another module with a `main`
 * (e.g. the built-in images of local mode). Two layouts exist and both must work:
 *
 * - compiled (`npm run build`): this file is dist/common/self.js and modules are dist/**\/*.js;
 * - source under tsx (tests, `npx tsx src/cli/main.ts`): this file is src/common/self.ts and the
 *   child needs tsx's loader, given by absolute URL so it resolves whatever the child's cwd is.
 *
 * The layout is read from this module's own URL (.ts or .js), never from the environment.
 */
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = import.meta.url;
const fromSource = here.endsWith(".ts");
/** src/ or dist/: the folder every relative module path below starts from. */
const codeRoot = new URL("../", here);

let tsxLoader: string | undefined;

/** file: URL of tsx's ESM loader, resolved from this checkout's node_modules. */
function tsxLoaderUrl(): string {
  if (tsxLoader === undefined) {
    const resolved = createRequire(here).resolve("tsx");
    tsxLoader = pathToFileURL(resolved).href;
  }
  return tsxLoader;
}

/**
 * The argv prefix that runs the module at `relPathWithoutExt` (relative to src/ or dist/, e.g.
 * "local/images/main") in a new Node process, in the same layout as the running code.
 */
export function selfScript(relPathWithoutExt: string): string[] {
  const rel = relPathWithoutExt.replace(/^\/+/, "").replace(/\.(ts|js)$/, "");
  const file = fileURLToPath(new URL(`${rel}${fromSource ? ".ts" : ".js"}`, codeRoot));
  return fromSource ? [process.execPath, "--import", tsxLoaderUrl(), file] : [process.execPath, file];
}

/** The argv prefix that runs the `ambit` CLI from a child process (append sub-command and flags). */
export function selfCommand(): string[] {
  return selfScript("cli/main");
}
