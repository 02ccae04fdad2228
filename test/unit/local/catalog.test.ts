/**
 * Which process a container becomes in local mode. The Istio sample documents (samples/httpbin,
 * samples/sleep, samples/curl, in their older and current forms) must resolve without an error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import { selfScript } from "../../../src/common/self.js";
import { resolveContainer, type CatalogContainer, type LookPath } from "../../../src/local/images/catalog.js";
import { imageFamily, imageRepository } from "../../../src/local/images/known-images.js";

/** A machine with these programs (PATH lookups and absolute paths). */
function machine(...bins: string[]): LookPath {
  return (bin) => {
    if (bin.includes("/")) return bins.includes(bin) ? bin : undefined;
    return bins.map((b) => `/usr/bin/${b}`).find((p) => p === `/usr/bin/${bin}`);
  };
}

const usual = machine("sleep", "curl", "sh", "python3", "/bin/sleep");
const bare = machine("sh");
const entry = selfScript("local/images/main");

interface Case {
  name: string;
  container: CatalogContainer;
  look?: LookPath;
  argv?: string[];
  builtin?: string;
  warns?: boolean;
  error?: string;
}

const cases: Case[] = [
  {
    name: "Istio samples/httpbin (kennethreitz/httpbin, containerPort 80): built-in httpbin on 80",
    container: { name: "httpbin", image: "docker.io/kennethreitz/httpbin", ports: [{ containerPort: 80 }] },
    argv: [...entry, "httpbin", "--port", "80"],
    builtin: "httpbin",
  },
  {
    name: "Istio samples/httpbin (mccutchen/go-httpbin:v2.15.0, containerPort 8080): built-in on 8080",
    container: {
      name: "httpbin",
      image: "docker.io/mccutchen/go-httpbin:v2.15.0",
      ports: [{ containerPort: 8080 }],
    },
    argv: [...entry, "httpbin", "--port", "8080"],
    builtin: "httpbin",
  },
  {
    name: "httpbin without ports: the image's own port (kennethreitz 80)",
    container: { name: "h", image: "kennethreitz/httpbin:latest" },
    argv: [...entry, "httpbin", "--port", "80"],
  },
  {
    name: "httpbin without ports: the image's own port (go-httpbin 8080)",
    container: { name: "h", image: "ghcr.io/mccutchen/go-httpbin@sha256:0123" },
    argv: [...entry, "httpbin", "--port", "8080"],
  },
  {
    name: "httpbin on several container ports listens on each (UDP ones skipped)",
    container: {
      name: "h",
      image: "kong/httpbin",
      ports: [
        { containerPort: 80 },
        { containerPort: 9090, protocol: "TCP" },
        { containerPort: 53, protocol: "UDP" },
      ],
    },
    argv: [...entry, "httpbin", "--port", "80", "--port", "9090"],
  },
  {
    name: "go-httpbin with command and flags not on this machine: built-in with those flags, and a warning",
    container: {
      name: "httpbin",
      image: "docker.io/mccutchen/go-httpbin:v2.6.0",
      command: ["go-httpbin"],
      args: ["-port", "8080", "-max-duration", "600s"],
      ports: [{ containerPort: 8080 }],
    },
    argv: [...entry, "httpbin", "--port", "8080", "--max-duration", "600s"],
    builtin: "httpbin",
    warns: true,
  },
  {
    name: "go-httpbin with args only (no entrypoint override): the flags choose the port",
    container: {
      name: "h",
      image: "mccutchen/go-httpbin",
      args: ["-port=8081"],
      ports: [{ containerPort: 8080 }],
    },
    argv: [...entry, "httpbin", "--port", "8081"],
  },
  {
    name: "kennethreitz/httpbin with a gunicorn command: the bind address chooses the port",
    container: {
      name: "h",
      image: "kennethreitz/httpbin",
      command: ["gunicorn", "-b", "0.0.0.0:8000", "httpbin:app"],
    },
    argv: [...entry, "httpbin", "--port", "8000"],
    warns: true,
  },
  {
    name: "httpbin with a literal PORT env",
    container: { name: "h", image: "mccutchen/go-httpbin", env: [{ name: "PORT", value: "9000" }] },
    argv: [...entry, "httpbin", "--port", "9000"],
  },
  {
    name: "Istio samples/sleep (curlimages/curl:8.16.0, /bin/sleep infinity): the host's sleep",
    container: { name: "sleep", image: "curlimages/curl:8.16.0", command: ["/bin/sleep", "infinity"] },
    argv: ["/bin/sleep", "infinity"],
  },
  {
    name: "Istio samples/curl on a machine without /bin/sleep: built-in sleep, with a warning",
    container: { name: "curl", image: "curlimages/curl", command: ["/bin/sleep", "infinity"] },
    look: machine("sleep"),
    argv: ["/usr/bin/sleep", "2147483647"],
    builtin: "sleep",
    warns: true,
  },
  {
    name: "curl image without a command: sleeps (so `ambit exec` can run curl in it)",
    container: { name: "c", image: "docker.io/curlimages/curl" },
    argv: ["/usr/bin/sleep", "2147483647"],
    builtin: "sleep",
  },
  {
    name: "curl image without a command on a machine without sleep: the built-in sleep process",
    container: { name: "c", image: "governmentpaas/curl-ssl" },
    look: bare,
    argv: [...entry, "sleep"],
    builtin: "sleep",
  },
  {
    name: "curl image with args only: its entrypoint is curl",
    container: { name: "c", image: "tutum/curl", args: ["-s", "http://httpbin:8000/get"] },
    argv: ["/usr/bin/curl", "-s", "http://httpbin:8000/get"],
  },
  {
    name: "busybox with a sleep command: the host's sleep",
    container: { name: "b", image: "busybox:1.36", command: ["sleep", "3600"] },
    argv: ["/usr/bin/sleep", "3600"],
  },
  {
    name: "busybox with sleep on a machine without it: built-in sleep",
    container: { name: "b", image: "docker.io/library/busybox", command: ["sleep", "3600"] },
    look: bare,
    argv: [...entry, "sleep"],
    builtin: "sleep",
    warns: true,
  },
  {
    name: "alpine with args only: no entrypoint, the args are the command",
    container: { name: "a", image: "alpine:3.20", args: ["sleep", "10"] },
    argv: ["/usr/bin/sleep", "10"],
  },
  {
    name: "alpine with neither: sh, as Kubernetes would run",
    container: { name: "a", image: "alpine" },
    argv: ["/usr/bin/sh"],
  },
  {
    name: "any image with a command on this machine runs it",
    container: { name: "web", image: "nginx:1.27", command: ["python3", "-m", "http.server", "8080"] },
    argv: ["/usr/bin/python3", "-m", "http.server", "8080"],
  },
  {
    name: "no image at all, with a command",
    container: { name: "main", command: ["/bin/sleep", "infinity"] },
    argv: ["/bin/sleep", "infinity"],
  },
  {
    name: "an unknown image without a command: IMAGE_NOT_RUNNABLE",
    container: { name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }] },
    error: "IMAGE_NOT_RUNNABLE",
  },
  {
    name: "an unknown image with args only: IMAGE_NOT_RUNNABLE (its entrypoint is unknown)",
    container: { name: "web", image: "example.com/team/api:v3", args: ["--listen", ":8080"] },
    error: "IMAGE_NOT_RUNNABLE",
  },
  {
    name: "no image and no command: IMAGE_NOT_RUNNABLE",
    container: { name: "main" },
    error: "IMAGE_NOT_RUNNABLE",
  },
  {
    name: "a command not on this machine, unknown image: COMMAND_NOT_FOUND",
    container: { name: "api", image: "example/api", command: ["/app/server"] },
    error: "COMMAND_NOT_FOUND",
  },
  {
    name: "a curl command on a machine without curl: COMMAND_NOT_FOUND (no built-in curl)",
    container: { name: "c", image: "curlimages/curl", command: ["curl", "-s", "http://x"] },
    look: bare,
    error: "COMMAND_NOT_FOUND",
  },
];

describe("resolveContainer", () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = resolveContainer(c.container, c.look ?? usual);
      if (c.error) {
        assert.ok(got instanceof AmbitError, `expected ${c.error}, got ${JSON.stringify(got)}`);
        assert.equal(got.code, c.error);
        assert.match(got.message, new RegExp(`"${c.container.name}"`));
        if (c.container.image) assert.ok(got.message.includes(c.container.image));
        assert.ok(got.hint && got.hint.length > 0);
        return;
      }
      assert.ok(!(got instanceof AmbitError), got instanceof AmbitError ? got.describe() : "");
      assert.deepEqual(got.argv, c.argv);
      if (c.builtin !== undefined) assert.equal(got.builtin, c.builtin);
      assert.equal(got.warning !== undefined, c.warns === true, got.warning);
    });
  }

  it("the IMAGE_NOT_RUNNABLE hint says to add a command and lists the built-in images", () => {
    const got = resolveContainer({ name: "web", image: "nginx" }, usual);
    assert.ok(got instanceof AmbitError);
    assert.match(got.hint ?? "", /add `command:`/);
    assert.match(got.hint ?? "", /httpbin/);
    assert.match(got.hint ?? "", /curlimages\/curl/);
  });
});

describe("image references", () => {
  const cases: [string, string, string | undefined][] = [
    ["docker.io/kennethreitz/httpbin", "kennethreitz/httpbin", "httpbin"],
    ["docker.io/library/busybox:1.36", "busybox", "base"],
    ["index.docker.io/curlimages/curl:8.7.1", "curlimages/curl", "curl"],
    ["localhost:5000/team/httpbin:v1", "team/httpbin", "httpbin"],
    ["ghcr.io/mccutchen/go-httpbin@sha256:abcd", "mccutchen/go-httpbin", "httpbin"],
    ["registry.example.com:443/x/sleep", "x/sleep", "curl"],
    ["nginx:1.27", "nginx", undefined],
    ["docker.io/istio/examples-bookinfo-details-v1:1.20.1", "istio/examples-bookinfo-details-v1", undefined],
  ];
  for (const [image, repo, family] of cases) {
    it(image, () => {
      assert.equal(imageRepository(image), repo);
      assert.equal(imageFamily(image), family);
    });
  }
});
