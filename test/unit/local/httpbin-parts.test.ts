import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseStatus, parseStatusChoices, statusReply } from "../../../src/local/images/httpbin-status.js";
import { canonicalHeaderName, headerDict } from "../../../src/local/images/httpbin-request.js";
import { parseDurationMs } from "../../../src/local/images/durations.js";
import { httpbinFlags } from "../../../src/local/images/known-images.js";
import { selfCommand, selfScript } from "../../../src/common/self.js";

describe("httpbin /status codes", () => {
  it("parses one code, a list, and weights", () => {
    assert.deepEqual(parseStatusChoices("418"), [{ code: 418, weight: 1 }]);
    assert.deepEqual(parseStatusChoices("200,500"), [
      { code: 200, weight: 1 },
      { code: 500, weight: 1 },
    ]);
    assert.deepEqual(parseStatusChoices("200:0.9,503:0.1"), [
      { code: 200, weight: 0.9 },
      { code: 503, weight: 0.1 },
    ]);
  });
  for (const bad of ["", "abc", "20", "2000", "99", "700", "200,", "200:x", "200:-1"])
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseStatusChoices(bad), undefined));

  it("draws by weight", () => {
    const choices = parseStatusChoices("200:3,500:1")!;
    assert.equal(
      chooseStatus(choices, () => 0),
      200,
    );
    assert.equal(
      chooseStatus(choices, () => 0.74),
      200,
    );
    assert.equal(
      chooseStatus(choices, () => 0.76),
      500,
    );
    assert.equal(
      chooseStatus(choices, () => 0.9999),
      500,
    );
  });

  it("adds httpbin's headers to redirects and challenges", () => {
    assert.equal(statusReply(302).headers.location, "/redirect/1");
    assert.match(statusReply(401).headers["www-authenticate"] ?? "", /^Basic realm=/);
    assert.match(statusReply(407).headers["proxy-authenticate"] ?? "", /^Basic realm=/);
    assert.ok(statusReply(418).body.length > 0);
    assert.deepEqual(statusReply(503), { status: 503, headers: {}, body: "" });
  });
});

describe("httpbin headers", () => {
  const names: [string, string][] = [
    ["user-agent", "User-Agent"],
    ["x-b3-traceid", "X-B3-Traceid"],
    ["X-FORWARDED-CLIENT-CERT", "X-Forwarded-Client-Cert"],
    ["host", "Host"],
  ];
  for (const [raw, want] of names)
    it(`${raw} -> ${want}`, () => assert.equal(canonicalHeaderName(raw), want));

  it("joins repeated headers and hides proxy headers unless show_env", () => {
    const raw = ["Host", "h", "x-custom", "a", "X-Custom", "b", "X-Forwarded-For", "1.2.3.4", "Via", "1.1 p"];
    assert.deepEqual(headerDict(raw, false), { Host: "h", "X-Custom": "a,b" });
    assert.deepEqual(headerDict(raw, true), {
      Host: "h",
      "X-Custom": "a,b",
      "X-Forwarded-For": "1.2.3.4",
      Via: "1.1 p",
    });
  });
});

describe("httpbin command lines and durations", () => {
  const flags: [string[], number[], string | undefined][] = [
    [["-port", "8080", "-max-duration", "600s"], [8080], "600s"],
    [["--port=9000"], [9000], undefined],
    [["-b", "0.0.0.0:80", "httpbin:app", "-k", "gevent"], [80], undefined],
    [["--bind=:8000"], [8000], undefined],
    [["-port", "nope"], [], undefined],
  ];
  for (const [argv, ports, max] of flags)
    it(argv.join(" "), () => assert.deepEqual(httpbinFlags(argv), { ports, maxDuration: max }));

  const durations: [string, number | undefined][] = [
    ["10s", 10_000],
    ["600s", 600_000],
    ["1m30s", 90_000],
    ["250ms", 250],
    ["1.5h", 5_400_000],
    ["3", 3_000],
    ["", undefined],
    ["10x", undefined],
    ["s", undefined],
  ];
  for (const [text, ms] of durations)
    it(`duration ${JSON.stringify(text)}`, () => assert.equal(parseDurationMs(text), ms));
});

describe("self command", () => {
  it("runs the TypeScript sources through tsx when running from source", () => {
    const argv = selfCommand();
    assert.equal(argv[0], process.execPath);
    assert.equal(argv[1], "--import");
    assert.match(argv[2] ?? "", /^file:\/\/.*tsx/);
    assert.match(argv[3] ?? "", /\/src\/cli\/main\.ts$/);
    assert.match(selfScript("local/images/main").at(-1) ?? "", /\/src\/local\/images\/main\.ts$/);
  });
});
