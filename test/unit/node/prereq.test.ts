import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import {
  checkPrerequisites,
  effectiveCapabilities,
  findExecutable,
  hasNetworkAdmin,
} from "../../../src/node/prereq.js";

describe("prerequisites", () => {
  test("capabilities are read from /proc/<pid>/status", () => {
    assert.equal(effectiveCapabilities("Name:\tx\nCapEff:\t000001ffffffffff\n"), 0x1ffffffffffn);
    assert.equal(effectiveCapabilities("Name:\tx\n"), undefined);
  });

  test("network admin needs CAP_NET_ADMIN and CAP_SYS_ADMIN (ip netns mounts)", () => {
    const netAdmin = 1n << 12n;
    const sysAdmin = 1n << 21n;
    assert.ok(hasNetworkAdmin(netAdmin | sysAdmin, 1000));
    assert.ok(!hasNetworkAdmin(netAdmin, 0), "root without the capability (a restricted container)");
    assert.ok(!hasNetworkAdmin(0n, 1000));
    assert.ok(hasNetworkAdmin(undefined, 0), "no /proc: fall back to the uid");
    assert.ok(!hasNetworkAdmin(undefined, 1000));
  });

  test("executables are found on PATH, and in sbin directories a user's PATH often lacks", () => {
    const dir = mkdtempSync(join(tmpdir(), "ambit-path-"));
    try {
      const tool = join(dir, "ambit-test-tool");
      writeFileSync(tool, "#!/bin/sh\n");
      chmodSync(tool, 0o755);
      assert.equal(findExecutable("ambit-test-tool", dir), tool);
      assert.equal(findExecutable("ambit-no-such-tool", dir), undefined);
      assert.match(findExecutable("sh", "") ?? "", /^\/(usr\/)?bin\/sh$/, "found without any PATH");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("checkPrerequisites: the tools' absolute paths as root, else the way to become root", () => {
    if (hasNetworkAdmin(effectiveCapabilities(), process.getuid?.())) {
      const tools = checkPrerequisites();
      for (const t of [tools.ip, tools.iptablesRestore, tools.iptablesSave]) assert.match(t, /^\//);
    } else {
      assert.throws(
        () => checkPrerequisites(),
        (e: unknown) => e instanceof AmbitError && e.code === "PREREQ_NOT_ROOT" && /sudo/.test(e.hint ?? ""),
      );
    }
  });
});
