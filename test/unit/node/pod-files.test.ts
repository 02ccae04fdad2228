import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { hostsFile, removePodFiles, resolvConf, writePodFiles } from "../../../src/node/pod-files.js";

describe("pod resolv.conf and hosts", () => {
  test("resolv.conf: the pod gateway as nameserver, Kubernetes' search list and ndots:5", () => {
    const lines = resolvConf("shop").split("\n");
    assert.ok(lines.includes("nameserver 169.254.1.1"));
    assert.ok(lines.includes("search shop.svc.cluster.local svc.cluster.local cluster.local"));
    assert.ok(lines.includes("options ndots:5"));
    assert.ok(
      resolvConf("shop", "corp.example").includes(
        "search shop.svc.corp.example svc.corp.example corp.example",
      ),
    );
  });

  test("hosts: localhost and the pod's own name", () => {
    const lines = hostsFile("10.244.0.7", "httpbin-0").split("\n");
    assert.ok(lines.includes("127.0.0.1\tlocalhost"));
    assert.ok(lines.includes("10.244.0.7\thttpbin-0"));
  });

  test("written to <etc>/<netns>/ and removed again", () => {
    const etc = mkdtempSync(join(tmpdir(), "ambit-etcnetns-"));
    try {
      const dir = writePodFiles(
        "amb1234-pod-default-a",
        { namespace: "default", ip: "10.244.0.2", hostname: "a" },
        etc,
      );
      assert.equal(dir, join(etc, "amb1234-pod-default-a"));
      assert.match(readFileSync(join(dir, "resolv.conf"), "utf8"), /search default\.svc\.cluster\.local/);
      assert.match(readFileSync(join(dir, "hosts"), "utf8"), /10\.244\.0\.2\ta/);
      removePodFiles("amb1234-pod-default-a", etc);
      assert.ok(!existsSync(dir));
      removePodFiles("amb1234-pod-default-a", etc); // idempotent
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});
