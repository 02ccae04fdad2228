import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import {
  loadNativeAddon,
  nativeAddonAvailable,
  originalDestination,
  socketFd,
  tuneAllocator,
} from "../../../src/node/native.js";

// The positive cases need a real REDIRECT, so they live in the namespaced tier
// (test/netns/redirect.test.ts); here: loading, and every way the lookup can fail.

function errnoCode(e: unknown): unknown {
  return (e as { code?: unknown }).code;
}

describe("native addon: SO_ORIGINAL_DST", () => {
  let dir: string;
  let server: Server;
  let client: Socket;
  let accepted: Socket;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ambit-native-"));
    const path = join(dir, "s.sock");
    const got = new Promise<Socket>((resolve) => {
      server = createServer((s) => resolve(s));
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    client = createConnection(path);
    accepted = await got;
  });

  after(() => {
    client.destroy();
    accepted.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("is built and loads (npm run build:native)", () => {
    assert.ok(nativeAddonAvailable());
    assert.equal(typeof loadNativeAddon().originalDst, "function");
  });

  test("tuneAllocator sets glibc's thresholds and refuses nonsense", () => {
    assert.equal(tuneAllocator(4 * 1024 * 1024, 64 * 1024 * 1024, 8 * 1024 * 1024), true);
    assert.throws(() => loadNativeAddon().tuneAllocator?.(-1, 0, 0), TypeError);
    assert.throws(() => loadNativeAddon().tuneAllocator?.(1.5, 0, 0), TypeError);
  });

  test("a descriptor that is not a socket: ENOTSOCK", () => {
    const fd = openSync("/dev/null", "r");
    try {
      assert.throws(
        () => loadNativeAddon().originalDst(fd),
        (e: unknown) => e instanceof Error && errnoCode(e) === "ENOTSOCK" && /getsockname/.test(e.message),
      );
    } finally {
      closeSync(fd);
    }
  });

  test("a descriptor that is not open: EBADF", () => {
    assert.throws(
      () => loadNativeAddon().originalDst(1_000_000),
      (e: unknown) => errnoCode(e) === "EBADF" && (e as { errno?: unknown }).errno === 9,
    );
  });

  test("not a number: TypeError", () => {
    for (const v of [-1, 1.5, "3", undefined]) {
      assert.throws(() => loadNativeAddon().originalDst(v as number), TypeError, String(v));
    }
  });

  test("originalDestination() on a Unix socket: ORIGINAL_DST_FAILED with a hint", () => {
    assert.equal(typeof socketFd(accepted), "number");
    assert.throws(
      () => originalDestination(accepted),
      (e: unknown) =>
        e instanceof AmbitError &&
        e.code === "ORIGINAL_DST_FAILED" &&
        /EAFNOSUPPORT/.test(e.message) &&
        /node-agent/.test(e.hint ?? ""),
    );
  });

  test("originalDestination() on a closed socket: ORIGINAL_DST_UNAVAILABLE", async () => {
    const s = createConnection(join(dir, "s.sock"));
    await new Promise((resolve) => s.once("connect", resolve));
    s.destroy();
    assert.equal(socketFd(s), undefined);
    assert.throws(
      () => originalDestination(s),
      (e: unknown) => e instanceof AmbitError && e.code === "ORIGINAL_DST_UNAVAILABLE",
    );
  });
});
