/**
 * A proxy that cannot use a resource NACKs it: status() shows the error on that proxy only, the
 * others ACK; the proxy keeps its last good version; the rejected version is not resent and the
 * next change reaches it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AmbitError } from "../../../src/common/errors.js";
import type { XdsClient } from "../../../src/xds/client/client.js";
import type { XdsChange } from "../../../src/xds/client/subscription.js";
import { decodeAddress, encodeWorkload, type AddressResource } from "../../../src/xds/convert/address.js";
import { syntheticWorkload } from "../../../src/xds/testing/synthetic.js";
import { ADDRESS_TYPE_URL } from "../../../src/xds/typeurls.js";
import { eventually, newClient, startXds } from "./harness.js";

/** A proxy that refuses workloads labelled reject=yes (as a newer/older proxy might refuse a field). */
function picky(bytes: Uint8Array): AddressResource {
  const r = decodeAddress(bytes);
  if (r.kind === "workload" && r.workload.labels.reject === "yes") {
    throw new AmbitError(
      "XDS_INVALID_RESOURCE",
      `Workload ${r.workload.uid}: labels.reject: this proxy refuses it`,
    );
  }
  return r;
}

test(
  "a NACK is recorded for that proxy only; it keeps its last good state",
  { timeout: 30_000 },
  async () => {
    const { xds, port, close } = await startXds();
    const clients: XdsClient[] = [];
    try {
      const addresses = new Map<string, Uint8Array>();
      for (let i = 0; i < 10; i++)
        addresses.set(syntheticWorkload(i).uid, encodeWorkload(syntheticWorkload(i)));
      const v0 = xds.setResources(ADDRESS_TYPE_URL, addresses);

      const pickyClient = newClient(port, "picky");
      const pickySub = pickyClient.subscribe(ADDRESS_TYPE_URL, { decode: picky });
      const changes: XdsChange[] = [];
      pickySub.on("change", (c) => changes.push(c));
      clients.push(pickyClient);
      for (let i = 0; i < 3; i++) {
        const c = newClient(port, `good-${i}`);
        c.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
        clients.push(c);
      }
      for (const c of clients) c.start();
      await xds.whenAcked(ADDRESS_TYPE_URL, v0, { minSubscribers: 4, timeoutMs: 10_000 });

      const bad = syntheticWorkload(4, { labels: { reject: "yes" } });
      addresses.set(bad.uid, encodeWorkload(bad));
      const v1 = xds.setResources(ADDRESS_TYPE_URL, addresses);
      const pickyStatus = () => xds.status().find((p) => p.nodeId === "picky")?.types[0];
      await eventually(() => pickyStatus()?.lastNack?.version === v1, "the NACK from picky");

      const nack = pickyStatus()?.lastNack;
      assert.match(
        nack?.message ?? "",
        new RegExp(`${bad.uid}: Workload ${bad.uid}: labels.reject: this proxy refuses it`),
      );
      assert.equal(pickyStatus()?.ackedVersion, v0);
      await eventually(
        () =>
          xds
            .status()
            .filter((p) => p.nodeId !== "picky")
            .every((p) => p.types[0]?.ackedVersion === v1),
        "the other proxies to ACK",
      );
      for (const p of xds.status().filter((x) => x.nodeId !== "picky"))
        assert.equal(p.types[0]?.lastNack, undefined);
      const held = pickySub.get(bad.uid);
      assert.equal(
        held?.kind === "workload" && held.workload.labels.reject,
        undefined,
        "last good version kept",
      );

      // The next change is sent (the rejected one is not resent) and brings picky back in sync.
      const other = syntheticWorkload(5, { healthy: false });
      addresses.set(other.uid, encodeWorkload(other));
      const v2 = xds.setResources(ADDRESS_TYPE_URL, addresses);
      await xds.whenAcked(ADDRESS_TYPE_URL, v2, { timeoutMs: 10_000 });
      assert.deepEqual(changes.at(-1)?.updated, [other.uid]);
      assert.equal(pickyStatus()?.ackedVersion, v2);
    } finally {
      for (const c of clients) c.close();
      close();
    }
  },
);
