/**
 * What process a container becomes in local mode (pure; the PATH lookup is passed in).
 *
 * Kubernetes semantics first: `command` replaces the image's ENTRYPOINT and `args` its CMD
 * (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/),
 * so a container with `command` runs `command ++ args` — here on this machine, with argv[0]
 * looked up on the host PATH. Images are never pulled; for the common samples the image's own
 * behaviour is known (known-images.ts):
 *
 * | container                               | runs                                              |
 * | --------------------------------------- | ------------------------------------------------- |
 * | command found on this machine           | that command                                      |
 * | command missing, httpbin image          | built-in httpbin on the ports its flags name      |
 * | command missing, curl/base image        | sleep (so `ambit exec` can run the host's curl)   |
 * | no command, httpbin image               | built-in httpbin on its containerPorts/image port |
 * | no command, curl image                  | sleep; with args: the host's curl with the args   |
 * | no command, base image (busybox...)     | args as the command; neither: `sh`               |
 * | anything else                           | IMAGE_NOT_RUNNABLE / COMMAND_NOT_FOUND            |
 */
import { AmbitError } from "../../common/errors.js";
import { selfScript } from "../../common/self.js";
import {
  KNOWN_IMAGES_TEXT,
  httpbinFlags,
  httpbinImagePort,
  imageFamily,
  type ImageFamily,
} from "./known-images.js";

export interface CatalogContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ containerPort: number; name?: string; protocol?: string }>;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

/** Absolute path of `bin` on this machine (PATH lookup, or existence for paths), else undefined. */
export type LookPath = (bin: string) => string | undefined;

export type BuiltinImage = "httpbin" | "sleep";

export interface ResolvedContainer {
  /** Full argv; argv[0] is an absolute path on this machine. */
  argv: string[];
  /** Set when Ambit's built-in equivalent runs instead of the image's program. */
  builtin?: BuiltinImage;
  /** For the operator: the container's own command was replaced by a built-in. */
  warning?: string;
}

/** Entry of the built-in images (main.ts), in the layout of the running code. */
const builtinEntry = (): string[] => selfScript("local/images/main");

/** Seconds `sleep` is given: finite so busybox's sleep accepts it too, and 68 years long. */
const SLEEP_FOREVER = "2147483647";

function sleepArgv(lookPath: LookPath): string[] {
  const sleep = lookPath("sleep");
  return sleep ? [sleep, SLEEP_FOREVER] : [...builtinEntry(), "sleep"];
}

function httpbinArgv(c: CatalogContainer, image: string, flagArgv: readonly string[]): string[] {
  const flags = httpbinFlags(flagArgv);
  let ports = flags.ports;
  if (ports.length === 0) {
    // go-httpbin reads $PORT; only literal values are known here.
    const envPort = Number(c.env?.find((e) => e.name === "PORT")?.value);
    if (Number.isInteger(envPort) && envPort > 0 && envPort < 65536) ports = [envPort];
  }
  if (ports.length === 0)
    ports = (c.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => p.containerPort);
  if (ports.length === 0) ports = [httpbinImagePort(image)];
  const out = [...builtinEntry(), "httpbin", ...ports.flatMap((p) => ["--port", String(p)])];
  if (flags.maxDuration) out.push("--max-duration", flags.maxDuration);
  return out;
}

const describe = (c: CatalogContainer): string =>
  c.image ? `container "${c.name}" (image "${c.image}")` : `container "${c.name}" (no image)`;

function notRunnable(c: CatalogContainer, why: string): AmbitError {
  return new AmbitError(
    "IMAGE_NOT_RUNNABLE",
    `${describe(c)} ${why}: local mode does not run container images`,
    `local mode runs the container's \`command\` on this machine; add \`command:\` (e.g. ["python3","-m","http.server","8080"]) or use one of the built-in images: ${KNOWN_IMAGES_TEXT}`,
  );
}

/** argv from the image's known entrypoint when the container sets no command. */
function imageDefault(
  c: CatalogContainer,
  family: ImageFamily | undefined,
  lookPath: LookPath,
): ResolvedContainer | string[] | AmbitError {
  const args = c.args ?? [];
  switch (family) {
    case "httpbin":
      return { argv: httpbinArgv(c, c.image!, args), builtin: "httpbin" };
    case "curl":
      // The curl images' entrypoint is curl: args alone are curl's arguments.
      return args.length > 0 ? ["curl", ...args] : { argv: sleepArgv(lookPath), builtin: "sleep" };
    case "base":
      return args.length > 0 ? [...args] : ["sh"];
    default:
      return notRunnable(c, args.length > 0 ? "sets args but no command" : "has no command");
  }
}

export function resolveContainer(c: CatalogContainer, lookPath: LookPath): ResolvedContainer | AmbitError {
  const family = imageFamily(c.image);
  let argv: string[];
  if (c.command && c.command.length > 0) {
    argv = [...c.command, ...(c.args ?? [])];
  } else {
    const d = imageDefault(c, family, lookPath);
    if (d instanceof AmbitError || !Array.isArray(d)) return d;
    argv = d;
  }

  const program = argv[0]!;
  const found = lookPath(program);
  if (found) return { argv: [found, ...argv.slice(1)] };

  const replaced = (builtin: BuiltinImage, builtinArgv: string[]): ResolvedContainer => ({
    argv: builtinArgv,
    builtin,
    warning: `${describe(c)}: "${program}" is not on this machine; running Ambit's built-in ${builtin} instead`,
  });
  if (family === "httpbin") return replaced("httpbin", httpbinArgv(c, c.image!, argv.slice(1)));
  if (family === "curl" && program.split("/").pop() !== "curl") return replaced("sleep", sleepArgv(lookPath));
  if (family === "base" && program.split("/").pop() === "sleep")
    return replaced("sleep", sleepArgv(lookPath));
  return new AmbitError(
    "COMMAND_NOT_FOUND",
    `${describe(c)}: command "${program}" is not on this machine`,
    `local mode runs the container's command on this machine: install "${program}", or change \`command:\` to a program that exists here (e.g. ["python3","-m","http.server","8080"])`,
  );
}
