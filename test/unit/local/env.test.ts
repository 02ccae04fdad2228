import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import { containerLaunch, expandVars } from "../../../src/local/pods/env.js";
import type { PodRunSpec } from "../../../src/local/pods/types.js";

const pod: PodRunSpec = {
  namespace: "shop",
  name: "web-7d9f-abcde",
  uid: "0b5c-11",
  netns: "ambit-pod-1",
  hostname: "web-7d9f-abcde",
  ip: "10.244.1.7",
  node: "node-1",
  hostIP: "172.30.0.2",
  serviceAccountName: "web",
  labels: { app: "web", version: "v2" },
  annotations: { "example.com/team": "payments" },
  containers: [],
};

const field = (fieldPath: string) => ({ fieldRef: { fieldPath } });

describe("container environment", () => {
  it("has PATH, HOME and HOSTNAME, and nothing else from the parent", () => {
    const got = containerLaunch(pod, { name: "c" }, { path: "/usr/bin:/bin", home: "/root" });
    assert.ok(!(got instanceof AmbitError));
    assert.deepEqual(got.env, { PATH: "/usr/bin:/bin", HOME: "/root", HOSTNAME: "web-7d9f-abcde" });
  });

  it("resolves the Downward API fields local mode knows", () => {
    const got = containerLaunch(pod, {
      name: "c",
      env: [
        { name: "POD_NAME", valueFrom: field("metadata.name") },
        { name: "POD_NAMESPACE", valueFrom: field("metadata.namespace") },
        { name: "POD_UID", valueFrom: field("metadata.uid") },
        { name: "POD_IP", valueFrom: field("status.podIP") },
        { name: "NODE_NAME", valueFrom: field("spec.nodeName") },
        { name: "SA", valueFrom: field("spec.serviceAccountName") },
        { name: "HOST_IP", valueFrom: field("status.hostIP") },
        { name: "APP", valueFrom: field("metadata.labels['app']") },
        { name: "TEAM", valueFrom: field("metadata.annotations['example.com/team']") },
        { name: "MISSING_LABEL", valueFrom: field("metadata.labels['nope']") },
      ],
    });
    assert.ok(!(got instanceof AmbitError));
    assert.equal(got.env.POD_NAME, "web-7d9f-abcde");
    assert.equal(got.env.POD_NAMESPACE, "shop");
    assert.equal(got.env.POD_UID, "0b5c-11");
    assert.equal(got.env.POD_IP, "10.244.1.7");
    assert.equal(got.env.NODE_NAME, "node-1");
    assert.equal(got.env.SA, "web");
    assert.equal(got.env.HOST_IP, "172.30.0.2");
    assert.equal(got.env.APP, "web");
    assert.equal(got.env.TEAM, "payments");
    assert.equal(got.env.MISSING_LABEL, "");
  });

  it("defaults the service account to `default`, and reads desired.ts's serviceAccount", () => {
    const env = [{ name: "SA", valueFrom: field("spec.serviceAccountName") }];
    const a = containerLaunch({ ...pod, serviceAccountName: undefined }, { name: "c", env });
    const b = containerLaunch(
      { ...pod, serviceAccountName: undefined, serviceAccount: "sleep" },
      { name: "c", env },
    );
    assert.ok(!(a instanceof AmbitError) && !(b instanceof AmbitError));
    assert.equal(a.env.SA, "default");
    assert.equal(b.env.SA, "sleep");
  });

  it("expands $(VAR) from earlier variables in values, command and args", () => {
    const got = containerLaunch(pod, {
      name: "c",
      env: [
        { name: "POD_IP", valueFrom: field("status.podIP") },
        { name: "ADDR", value: "$(POD_IP):8080" },
        { name: "EARLY", value: "$(LATE)" }, // not yet defined: left as written
        { name: "LATE", value: "x" },
        { name: "ESCAPED", value: "$$(POD_IP)" },
      ],
      command: ["server", "--listen=$(ADDR)"],
      args: ["--late=$(LATE)", "--unknown=$(NOPE)", "--home=$(HOME)", "sh -c 'echo $$$$'"],
    });
    assert.ok(!(got instanceof AmbitError));
    assert.equal(got.env.ADDR, "10.244.1.7:8080");
    assert.equal(got.env.EARLY, "$(LATE)");
    assert.equal(got.env.ESCAPED, "$(POD_IP)");
    assert.deepEqual(got.command, ["server", "--listen=10.244.1.7:8080"]);
    // HOME is not a declared variable: Kubernetes would not expand it either.
    assert.deepEqual(got.args, ["--late=x", "--unknown=$(NOPE)", "--home=$(HOME)", "sh -c 'echo $$'"]);
  });

  it("refuses sources local mode cannot read, naming the variable", () => {
    const secret = containerLaunch(pod, {
      name: "c",
      env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
    });
    assert.ok(secret instanceof AmbitError);
    assert.equal(secret.code, "UNSUPPORTED_ENV_SOURCE");
    assert.match(secret.message, /PASSWORD/);
    assert.match(secret.message, /secretKeyRef/);
    const unknownField = containerLaunch(pod, {
      name: "c",
      env: [{ name: "X", valueFrom: field("spec.schedulerName") }],
    });
    assert.ok(unknownField instanceof AmbitError);
    assert.match(unknownField.message, /spec\.schedulerName/);
  });
});

describe("expandVars", () => {
  const vars = { A: "1", B_C: "2" };
  const cases: [string, string][] = [
    ["$(A)", "1"],
    ["x$(A)y$(B_C)z", "x1y2z"],
    ["$(MISSING)", "$(MISSING)"],
    ["$$(A)", "$(A)"],
    ["$$", "$"],
    ["$A", "$A"],
    ["$(A", "$(A"],
  ];
  for (const [input, want] of cases)
    it(JSON.stringify(input), () => assert.equal(expandVars(input, vars), want));
});
