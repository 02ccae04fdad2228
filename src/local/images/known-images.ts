/**
 * The sample images local mode knows without pulling them, grouped by what their image would do:
 *
 * - httpbin: kennethreitz/httpbin (Istio's samples/httpbin before 1.23; gunicorn on port 80),
 *   kong/httpbin (same, port 80), mccutchen/go-httpbin (Istio's samples/httpbin since; port
 *   8080, flags `-port`, `-max-duration`), and any other image named .../httpbin.
 * - curl: curlimages/curl (Istio's samples/sleep and samples/curl run it with
 *   `command: ["/bin/sleep", "infinity"]`; its entrypoint is curl), governmentpaas/curl-ssl,
 *   tutum/curl, and images named .../sleep or .../curl.
 * - base: OS images with no ENTRYPOINT (busybox, alpine, debian, ubuntu...): `args` alone are the
 *   whole command, and with neither command nor args they run `sh`, as Kubernetes would.
 */

export type ImageFamily = "httpbin" | "curl" | "base";

/** Examples listed in operator hints. */
export const KNOWN_IMAGES_TEXT =
  "httpbin (kennethreitz/httpbin, kong/httpbin, mccutchen/go-httpbin) and curl/sleep (curlimages/curl, governmentpaas/curl-ssl, tutum/curl)";

const BASE_IMAGES = new Set([
  "busybox",
  "alpine",
  "debian",
  "ubuntu",
  "fedora",
  "centos",
  "rockylinux",
  "almalinux",
]);
const CURL_NAMES = new Set(["curl", "curl-ssl", "sleep"]);
const HTTPBIN_NAMES = new Set(["httpbin", "go-httpbin"]);

/**
 * "docker.io/library/busybox:1.36@sha256:..." -> "busybox"; "quay.io/org/app:v1" -> "org/app".
 * The first path segment is a registry when it has a dot or a port, or is "localhost".
 */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf("@");
  if (at >= 0) ref = ref.slice(0, at);
  const parts = ref.split("/");
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost"))
    parts.shift();
  const last = parts.length - 1;
  const colon = (parts[last] ?? "").indexOf(":");
  if (colon >= 0) parts[last] = parts[last]!.slice(0, colon);
  if (parts[0] === "library" && parts.length > 1) parts.shift();
  return parts.join("/");
}

export function imageFamily(image: string | undefined): ImageFamily | undefined {
  if (!image) return undefined;
  const repo = imageRepository(image);
  const name = repo.slice(repo.lastIndexOf("/") + 1);
  if (HTTPBIN_NAMES.has(name)) return "httpbin";
  if (CURL_NAMES.has(name) || repo === "tutum/curl") return "curl";
  if (BASE_IMAGES.has(repo)) return "base";
  return undefined;
}

/** The port an httpbin image listens on when nothing says otherwise. */
export function httpbinImagePort(image: string): number {
  const repo = imageRepository(image);
  return repo === "kennethreitz/httpbin" || repo === "kong/httpbin" ? 80 : 8080;
}

/**
 * Listening ports and max duration named in an httpbin command line, whichever flavour it is:
 * go-httpbin (`-port 8080`, `--port=8080`, `-max-duration 600s`) or gunicorn
 * (`-b 0.0.0.0:80`, `--bind=:80`).
 */
export function httpbinFlags(argv: readonly string[]): { ports: number[]; maxDuration?: string } {
  const ports: number[] = [];
  let maxDuration: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i]!.indexOf("=");
    const flag = eq >= 0 ? argv[i]!.slice(0, eq) : argv[i]!;
    const value = (): string | undefined => (eq >= 0 ? argv[i]!.slice(eq + 1) : argv[++i]);
    if (flag === "-port" || flag === "--port") {
      const p = Number(value());
      if (Number.isInteger(p) && p > 0 && p < 65536) ports.push(p);
    } else if (flag === "-b" || flag === "--bind") {
      const v = value() ?? "";
      const p = Number(v.slice(v.lastIndexOf(":") + 1));
      if (Number.isInteger(p) && p > 0 && p < 65536) ports.push(p);
    } else if (flag === "-max-duration" || flag === "--max-duration") {
      maxDuration = value();
    }
  }
  return { ports, maxDuration };
}
