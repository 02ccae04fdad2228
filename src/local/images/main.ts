/**
 * Entry of the built-in images, spawned by the pod runtime (through selfScript) inside a pod's
 * network namespace:
 *
 *   main httpbin [--port N]... [--max-duration 10s]   (port: --port, else $PORT, else 8080)
 *   main sleep                                        (sleeps until signalled)
 *
 * SIGTERM/SIGINT stop it cleanly with exit code 0, as the real images do when the kubelet stops
 * a pod. Errors go to stderr (the container log) with a non-zero exit, so the pod shows them.
 */
import { startHttpbin, type Httpbin } from "./httpbin.js";
import { parseDurationMs } from "./durations.js";

function fail(message: string): never {
  process.stderr.write(`ambit built-in image: ${message}\n`);
  process.exit(2);
}

function parseHttpbinArgs(argv: readonly string[]): { ports: number[]; maxDelayMs: number } {
  const ports: number[] = [];
  let maxDelayMs = 10_000;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = (): string => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--port" || flag === "-port") {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) fail(`invalid port ${JSON.stringify(p)}`);
      ports.push(p);
    } else if (flag === "--max-duration" || flag === "-max-duration") {
      const ms = parseDurationMs(value());
      if (ms === undefined) fail(`invalid duration for ${flag}`);
      maxDelayMs = ms;
    } else {
      fail(`unknown argument ${JSON.stringify(argv[i])} (usage: httpbin [--port N]... [--max-duration 10s])`);
    }
  }
  if (ports.length === 0) ports.push(process.env.PORT ? Number(process.env.PORT) : 8080);
  return { ports, maxDelayMs };
}

async function httpbin(argv: readonly string[]): Promise<void> {
  const { ports, maxDelayMs } = parseHttpbinArgs(argv);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const servers: Httpbin[] = [];
  for (const port of ports) {
    servers.push(await startHttpbin({ port, maxDelayMs, log }));
    log(`httpbin (ambit built-in) listening on port ${servers[servers.length - 1]!.port}`);
  }
  const stop = (): void => {
    void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function sleep(): void {
  // A timer keeps the event loop alive; the signal handlers end it.
  const t = setInterval(() => undefined, 2 ** 31 - 1);
  const stop = (): void => {
    clearInterval(t);
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

const [image, ...rest] = process.argv.slice(2);
switch (image) {
  case "httpbin":
    httpbin(rest).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    break;
  case "sleep":
    sleep();
    break;
  default:
    fail(`unknown built-in image ${JSON.stringify(image ?? "")}; known: httpbin, sleep`);
}
