/** Codecs of the delta ADS messages (wire/) and the client's per-type state (client/subscription.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AmbitError } from "../../../src/common/errors.js";
import { XdsSubscription, type XdsChange, type XdsRejection } from "../../../src/xds/client/subscription.js";
import {
  deserializeRequest,
  deserializeResponse,
  encodeResourceEnvelope,
  encodeResponseBody,
  serializeRequest,
  serializeResponse,
  type XdsDeltaRequest,
} from "../../../src/xds/wire/discovery.js";
import { xdsProtos } from "../../../src/xds/wire/protos.js";

const T = "type.googleapis.com/test.Thing";

test("a response assembled from pre-encoded parts decodes with Envoy's schema", () => {
  const envs = [
    encodeResourceEnvelope("a", "v1", T, Buffer.from("AAA")),
    encodeResourceEnvelope("b", "v2", T, Buffer.from("B")),
  ];
  const buf = serializeResponse({
    body: encodeResponseBody(T, envs),
    systemVersionInfo: "7",
    nonce: "n1",
    removed: ["c", "d"],
  });
  const generic = xdsProtos().DeltaDiscoveryResponse.toObject(
    xdsProtos().DeltaDiscoveryResponse.decode(buf),
  ) as {
    system_version_info: string;
    type_url: string;
    nonce: string;
    removed_resources: string[];
    resources: { name: string; version: string; resource: { type_url: string } }[];
  };
  assert.equal(generic.system_version_info, "7");
  assert.equal(generic.type_url, T);
  assert.equal(generic.nonce, "n1");
  assert.deepEqual(generic.removed_resources, ["c", "d"]);
  assert.deepEqual(
    generic.resources.map((r) => [r.name, r.version, r.resource.type_url]),
    [
      ["a", "v1", T],
      ["b", "v2", T],
    ],
  );
  // The client's fast reader sees the same thing.
  const fast = deserializeResponse(buf);
  assert.equal(fast.systemVersionInfo, "7");
  assert.equal(fast.typeUrl, T);
  assert.deepEqual(fast.removed, ["c", "d"]);
  assert.deepEqual(
    fast.resources.map((r) => [r.name, r.version, r.typeUrl, Buffer.from(r.value).toString()]),
    [
      ["a", "v1", T, "AAA"],
      ["b", "v2", T, "B"],
    ],
  );
});

test("the client's reader skips fields it does not know (a newer server)", () => {
  const R = xdsProtos().DeltaDiscoveryResponse;
  const buf = R.encode({
    system_version_info: "3",
    type_url: T,
    nonce: "x",
    control_plane: { identifier: "cp-1" },
    removed_resource_names: [{ name: "zz" }],
    resources: [
      {
        name: "a",
        version: "1",
        aliases: ["alias"],
        ttl: { seconds: 5 },
        resource: { type_url: T, value: Buffer.from("v") },
      },
      {
        name: "b",
        version: "2",
        resource: { type_url: "type.googleapis.com/other.Type", value: Buffer.from("w") },
      },
    ],
  }).finish();
  const r = deserializeResponse(Buffer.from(buf));
  assert.equal(r.nonce, "x");
  assert.deepEqual(
    r.resources.map((x) => [x.name, x.version, x.typeUrl]),
    [
      ["a", "1", T],
      ["b", "2", "type.googleapis.com/other.Type"],
    ],
  );
});

test("requests round-trip, node metadata included; garbage is reported, not thrown", () => {
  const req: XdsDeltaRequest = {
    node: {
      id: "ztunnel~node1",
      cluster: "c",
      metadata: { NODE_NAME: "node1", labels: { a: "b" }, n: 3, ok: true, list: [1, "x", null] },
    },
    typeUrl: T,
    subscribe: ["*"],
    unsubscribe: ["old"],
    initialVersions: { a: "v1" },
    responseNonce: "5",
    errorDetail: { code: 3, message: "bad" },
  };
  assert.deepEqual(deserializeRequest(serializeRequest(req)), req);
  const bad = deserializeRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
  assert.ok("malformed" in bad);
});

function response(resources: [string, string, string][], removed: string[] = [], version = "1") {
  return {
    systemVersionInfo: version,
    typeUrl: T,
    nonce: "n",
    resources: resources.map(([name, v, value]) => ({
      name,
      version: v,
      typeUrl: T,
      value: Buffer.from(value),
    })),
    removed,
  };
}

test("client state: applies, reports the change, and NACKs bad resources while keeping their last good value", () => {
  const decode = (b: Uint8Array, name: string) => {
    const text = Buffer.from(b).toString();
    if (text === "bad") throw new AmbitError("XDS_INVALID_RESOURCE", `${name} is bad`);
    return text;
  };
  const sub = new XdsSubscription(T, decode, undefined);
  const changes: XdsChange[] = [];
  const nacks: XdsRejection[] = [];
  sub.on("change", (c) => changes.push(c));
  sub.on("nack", (n) => nacks.push(n));

  assert.equal(
    sub.apply(
      response([
        ["a", "1", "A"],
        ["b", "1", "B"],
      ]),
    ),
    undefined,
  );
  assert.deepEqual(changes.at(-1), {
    typeUrl: T,
    systemVersion: "1",
    added: ["a", "b"],
    updated: [],
    removed: [],
  });

  const nack = sub.apply(
    response(
      [
        ["a", "2", "bad"],
        ["c", "2", "C"],
      ],
      ["b"],
      "2",
    ),
  );
  assert.match(nack ?? "", /rejected 1 of 2 resources: a: a is bad/);
  assert.equal(sub.get("a"), "A", "last good value kept");
  assert.equal(sub.get("c"), "C", "the good resource of the same response applied");
  assert.equal(sub.get("b"), undefined);
  assert.deepEqual(sub.versions(), { a: "1", c: "2" });
  assert.deepEqual(changes.at(-1), {
    typeUrl: T,
    systemVersion: "2",
    added: ["c"],
    updated: [],
    removed: ["b"],
  });
  assert.equal(nacks.length, 1);
  assert.deepEqual(
    [...sub.resources()],
    [
      ["a", "A"],
      ["c", "C"],
    ],
  );

  const wrongType = sub.apply({
    ...response([]),
    resources: [{ name: "x", version: "1", typeUrl: "type.googleapis.com/other", value: Buffer.from("X") }],
  });
  assert.match(wrongType ?? "", /x: resource has type type.googleapis.com\/other/);
});

test("resources without a version (Ambit's server, istiod's workload API): none on the wire, names announced with empty versions", () => {
  const bare = encodeResourceEnvelope("a", "", T, Buffer.from("AAA"));
  const versioned = encodeResourceEnvelope("a", "v1", T, Buffer.from("AAA"));
  assert.equal(versioned.length - bare.length, 4, "tag, length and 'v1'");
  const read = deserializeResponse(
    serializeResponse({
      body: encodeResponseBody(T, [bare]),
      systemVersionInfo: "1",
      nonce: "n",
      removed: [],
    }),
  );
  assert.equal(read.resources[0]?.version, "");

  const sub = new XdsSubscription(T, (b) => Buffer.from(b).toString(), undefined);
  sub.apply(
    response([
      ["a", "v1", "A"],
      ["b", "", "B"],
    ]),
  );
  assert.deepEqual(sub.versions(), { a: "v1", b: "" });
  sub.apply(response([["a", "", "A2"]], ["b"]));
  assert.deepEqual(sub.versions(), { a: "" }, "a version the server no longer gives is forgotten");
  assert.equal(sub.get("a"), "A2");
});

test("the client's reader: values are views into the response; damaged responses are refused", () => {
  const buf = serializeResponse({
    body: encodeResponseBody(T, [encodeResourceEnvelope("a", "v1", T, Buffer.from("AAA"))]),
    systemVersionInfo: "1",
    nonce: "n",
    removed: [],
  });
  const value = deserializeResponse(buf).resources[0]!.value;
  assert.equal(value.buffer, buf.buffer, "not a copy");
  assert.equal(Buffer.from(value).toString(), "AAA");
  for (const cut of [1, 3, buf.length - 4]) {
    assert.throws(() => deserializeResponse(buf.subarray(0, cut)), /truncated|wire type/);
  }
});

test("the client's reader tells apart type URLs of the same length, wherever they differ", () => {
  const base = "type.googleapis.com/test.Thing"; // 30 bytes: 7 words and 2 bytes
  const variants = [
    base,
    `${base.slice(0, -1)}h`,
    `X${base.slice(1)}`,
    `${base.slice(0, 27)}x${base.slice(28)}`,
  ];
  const envs = variants.map((t, i) => encodeResourceEnvelope(`r${i}`, "", t, Buffer.from("v")));
  envs.push(encodeResourceEnvelope("again", "", base, Buffer.from("v")));
  const read = deserializeResponse(
    serializeResponse({
      body: encodeResponseBody(base, envs),
      systemVersionInfo: "1",
      nonce: "n",
      removed: [],
    }),
  );
  assert.deepEqual(
    read.resources.map((r) => r.typeUrl),
    [...variants, base],
  );
});

test("the client's reader skips unknown varint fields of any width", () => {
  const R = xdsProtos().DeltaDiscoveryResponse;
  // An unknown uint64 field (number 99) holding 2^62, before and after a resource.
  const unknown = Buffer.from([0x98, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
  const known = Buffer.from(
    R.encode({
      nonce: "x",
      resources: [{ name: "a", version: "1", resource: { type_url: T, value: Buffer.from("v") } }],
    }).finish(),
  );
  const r = deserializeResponse(Buffer.concat([unknown, known, unknown]));
  assert.equal(r.nonce, "x");
  assert.deepEqual(
    r.resources.map((x) => [x.name, x.version, x.typeUrl]),
    [["a", "1", T]],
  );
});

test("requests leave out fields at their default: an ACK is its type URL and nonce", () => {
  const ack: XdsDeltaRequest = {
    typeUrl: T,
    subscribe: [],
    unsubscribe: [],
    initialVersions: {},
    responseNonce: "12",
  };
  const buf = serializeRequest(ack);
  assert.equal(buf.length, 2 + T.length + 2 + 2);
  assert.deepEqual(deserializeRequest(buf), ack);
  // A NACK with code 0 still carries its message.
  const nack = { ...ack, errorDetail: { code: 0, message: "bad" } };
  assert.deepEqual(deserializeRequest(serializeRequest(nack)), nack);
  // Empty node metadata, and an initial request with versions.
  const first: XdsDeltaRequest = {
    node: { id: "n", cluster: "", metadata: {} },
    typeUrl: T,
    subscribe: ["*"],
    unsubscribe: [],
    initialVersions: { a: "1", b: "2" },
    responseNonce: "",
  };
  assert.deepEqual(deserializeRequest(serializeRequest(first)), first);
});
