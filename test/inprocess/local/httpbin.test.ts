/** The built-in httpbin, over real HTTP/1.1 on 127.0.0.1, read the way httpbin users read it. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "node:http";
import { startHttpbin, type Httpbin } from "../../../src/local/images/httpbin.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let hb: Httpbin;

function call(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: hb.port, path, method: opts.method ?? "GET", headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

async function json(path: string, opts?: Parameters<typeof call>[1]): Promise<Record<string, unknown>> {
  const r = await call(path, opts);
  assert.equal(r.status, 200, r.body);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  assert.ok(r.body.endsWith("\n"));
  return JSON.parse(r.body) as Record<string, unknown>;
}

describe("built-in httpbin", () => {
  before(async () => {
    hb = await startHttpbin({ port: 0, host: "127.0.0.1", maxDelayMs: 200 });
  });
  after(() => hb.close());

  it("GET /headers shows the request headers with httpbin's casing", async () => {
    const body = await json("/headers", {
      headers: {
        "user-agent": "curl/8.7.1",
        "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
        "x-custom": "1",
      },
    });
    assert.deepEqual(Object.keys(body), ["headers"]);
    const h = body.headers as Record<string, string>;
    assert.equal(h["User-Agent"], "curl/8.7.1");
    assert.equal(h["X-B3-Traceid"], "80f198ee56343ba864fe8b2a57d3eff7");
    assert.equal(h["X-Custom"], "1");
    assert.equal(h.Host, `127.0.0.1:${hb.port}`);
  });

  it("GET /ip is the peer address, or X-Forwarded-For", async () => {
    assert.deepEqual(await json("/ip"), { origin: "127.0.0.1" });
    assert.deepEqual(await json("/ip", { headers: { "x-forwarded-for": "10.0.0.9" } }), {
      origin: "10.0.0.9",
    });
  });

  it("GET /get has args, headers, origin and url", async () => {
    const body = await json("/get?show=1&tag=a&tag=b");
    assert.deepEqual(Object.keys(body), ["args", "headers", "origin", "url"]);
    assert.deepEqual(body.args, { show: "1", tag: ["a", "b"] });
    assert.equal(body.origin, "127.0.0.1");
    assert.equal(body.url, `http://127.0.0.1:${hb.port}/get?show=1&tag=a&tag=b`);
  });

  it("POST /get is 405 with Allow", async () => {
    const r = await call("/get", { method: "POST" });
    assert.equal(r.status, 405);
    assert.match(String(r.headers.allow), /GET/);
  });

  it("HEAD /get has headers and no body", async () => {
    const r = await call("/get", { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(r.body, "");
  });

  it("/anything echoes method, JSON body and headers for any method and sub-path", async () => {
    const body = await json("/anything/orders/42?x=1", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"qty":3}',
    });
    assert.deepEqual(Object.keys(body), [
      "args",
      "data",
      "files",
      "form",
      "headers",
      "json",
      "method",
      "origin",
      "url",
    ]);
    assert.equal(body.method, "PUT");
    assert.equal(body.data, '{"qty":3}');
    assert.deepEqual(body.json, { qty: 3 });
    assert.deepEqual(body.args, { x: "1" });
    assert.match(String(body.url), /\/anything\/orders\/42\?x=1$/);
  });

  it("/anything reads url-encoded forms into form", async () => {
    const body = await json("/anything", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=2&b=3",
    });
    assert.deepEqual(body.form, { a: "1", b: ["2", "3"] });
    assert.equal(body.data, "");
    assert.equal(body.json, null);
  });

  it("POST /post has the body fields", async () => {
    const body = await json("/post", { method: "POST", body: "plain text" });
    assert.equal(body.data, "plain text");
    assert.equal(body.json, null);
  });

  for (const code of [200, 201, 204, 403, 418, 500, 503]) {
    it(`/status/${code} answers ${code}`, async () => {
      const r = await call(`/status/${code}`);
      assert.equal(r.status, code);
    });
  }

  it("/status/302 redirects as httpbin does", async () => {
    const r = await call("/status/302");
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, "/redirect/1");
  });

  it("/status/200,500 answers one of them, and POST works too", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await call("/status/200,500", { method: i % 2 ? "POST" : "GET" });
      assert.ok([200, 500].includes(r.status), String(r.status));
    }
  });

  it("/status/abc is 400", async () => {
    assert.equal((await call("/status/abc")).status, 400);
  });

  it("/delay/{s} answers with the request fields (capped by max delay)", async () => {
    const body = await json("/delay/30?x=1");
    assert.deepEqual(Object.keys(body), ["args", "data", "files", "form", "headers", "origin", "url"]);
    assert.deepEqual(body.args, { x: "1" });
    assert.equal((await call("/delay/soon")).status, 400);
  });

  it("/ is a short HTML index; unknown paths are 404", async () => {
    const r = await call("/");
    assert.equal(r.status, 200);
    assert.match(String(r.headers["content-type"]), /^text\/html/);
    assert.match(r.body, /\/headers/);
    assert.equal((await call("/no/such/thing")).status, 404);
  });

  it("/user-agent, /uuid, /hostname and /response-headers", async () => {
    assert.deepEqual(await json("/user-agent", { headers: { "user-agent": "x/1" } }), {
      "user-agent": "x/1",
    });
    assert.match(String((await json("/uuid")).uuid), /^[0-9a-f-]{36}$/);
    assert.equal(typeof (await json("/hostname")).hostname, "string");
    const r = await call("/response-headers?x-set-me=yes");
    assert.equal(r.headers["x-set-me"], "yes");
  });

  it("answers CORS preflight on any path", async () => {
    const r = await call("/anything", {
      method: "OPTIONS",
      headers: { origin: "http://example.com", "access-control-request-headers": "x-token" },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers["access-control-allow-origin"], "http://example.com");
    assert.equal(r.headers["access-control-allow-headers"], "x-token");
  });

  it("close() ends pending delays and open connections", async () => {
    const slow = await startHttpbin({ port: 0, host: "127.0.0.1", maxDelayMs: 60_000 });
    const pending = new Promise<string>((resolve) => {
      const req = request({ host: "127.0.0.1", port: slow.port, path: "/delay/60" }, () =>
        resolve("answered"),
      );
      req.on("error", () => resolve("closed"));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    await slow.close();
    assert.equal(await pending, "closed");
  });
});
