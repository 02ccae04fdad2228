/**
 * The mesh root namespace comes from the control plane's mesh config, not from the proxy's
 * `--root-namespace` flag: with `rootNamespace: my-root`, a STRICT PeerAuthentication in my-root
 * applies mesh-wide on the node proxy (a plaintext client of a mesh pod is refused), one in
 * istio-system does not, and a later mesh config change is followed without a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { plaintextExchange, startRig, until, type Rig } from "./harness.js";

let work: string;
let rig: Rig;

const strict = (ns: string, name = "default") => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec: {mtls: {mode: STRICT}}
`;
const namespace = (ns: string) => `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "ambit-root-ns-"));
  const meshFile = join(work, "mesh.yaml");
  writeFileSync(meshFile, "rootNamespace: my-root\n");
  rig = await startRig({ meshConfigFile: meshFile });
  rig.apply([namespace("my-root"), namespace("istio-system"), namespace("other-root")].join("---\n"));
});

after(async () => {
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Waits until the proxy holds a PeerAuthentication named `ns/name` (or no longer does). */
async function proxyHolds(ns: string, name: string, present = true): Promise<void> {
  await until(
    () =>
      rig.z.state
        .peerAuthentications()
        .some((p) => p.metadata.namespace === ns && p.metadata.name === name) === present,
    `the proxy ${present ? "holds" : "dropped"} PeerAuthentication ${ns}/${name}`,
  );
}

test("a STRICT PeerAuthentication in the mesh config's root namespace applies mesh-wide", async () => {
  const dump = await rig.dump();
  // The proxy started with the flag's default (istio-system); the control plane's value won.
  assert.deepEqual(
    { rootNamespace: dump.mesh.rootNamespace, source: dump.mesh.source },
    { rootNamespace: "my-root", source: "control plane" },
  );
  assert.deepEqual(await plaintextExchange(rig.z.ports.inbound, "hello"), { reply: "hello", reset: false });

  // In istio-system (the flag's value, no longer the root): not mesh-wide, plaintext still served.
  rig.apply(strict("istio-system"));
  await proxyHolds("istio-system", "default");
  assert.deepEqual(await plaintextExchange(rig.z.ports.inbound, "still"), { reply: "still", reset: false });

  // In my-root: mesh-wide STRICT, the plaintext client of the shop pod is refused.
  rig.apply(strict("my-root"));
  await proxyHolds("my-root", "default");
  const refused = await plaintextExchange(rig.z.ports.inbound, "refused?");
  assert.equal(refused.reply, "");
  assert.equal(refused.reset, true);
});

test("a mesh config change moves the root namespace on the running proxy", async () => {
  // The `istio` ConfigMap in the root namespace overrides the file (as istiod reads it).
  rig.apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: my-root}
data:
  mesh: |
    rootNamespace: other-root
`);
  await until(() => rig.z.state.rootNamespace === "other-root", "the proxy follows the new root namespace");
  // my-root's STRICT is no longer mesh-wide: plaintext is served again.
  assert.deepEqual(await plaintextExchange(rig.z.ports.inbound, "again"), { reply: "again", reset: false });
  const dump = await rig.dump();
  assert.equal(dump.mesh.rootNamespace, "other-root");
});
