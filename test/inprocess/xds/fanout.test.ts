/**
 * 100 proxies on one control plane: the initial push reaches all, one workload change reaches
 * all and is the only resource sent (incremental), all ACK it (as status() reports), and a
 * removal reaches all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { serviceKey } from "../../../src/model/workload.js";
import type { XdsClient } from "../../../src/xds/client/client.js";
import type { XdsChange, XdsSubscription } from "../../../src/xds/client/subscription.js";
import {
  decodeAddress,
  encodeService,
  encodeWorkload,
  type AddressResource,
} from "../../../src/xds/convert/address.js";
import {
  authorizationResourceName,
  decodeAuthorization,
  encodeAuthorization,
} from "../../../src/xds/convert/authorization.js";
import {
  syntheticAuthorization,
  syntheticService,
  syntheticWorkload,
} from "../../../src/xds/testing/synthetic.js";
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from "../../../src/xds/typeurls.js";
import { newClient, startXds } from "./harness.js";

const PROXIES = 100;

test(
  "100 proxies: initial push, an incremental change ACKed by all, a removal",
  { timeout: 60_000 },
  async () => {
    const { xds, port, close } = await startXds();
    const clients: XdsClient[] = [];
    try {
      const addresses = new Map<string, Uint8Array>();
      for (let i = 0; i < 200; i++)
        addresses.set(syntheticWorkload(i).uid, encodeWorkload(syntheticWorkload(i)));
      for (let i = 0; i < 20; i++)
        addresses.set(serviceKey(syntheticService(i)), encodeService(syntheticService(i)));
      const policies = new Map<string, Uint8Array>();
      for (let i = 0; i < 10; i++) {
        policies.set(
          authorizationResourceName(syntheticAuthorization(i)),
          encodeAuthorization(syntheticAuthorization(i)),
        );
      }
      xds.setResources(ADDRESS_TYPE_URL, addresses);
      const v0 = xds.setResources(AUTHORIZATION_TYPE_URL, policies);

      const subs: XdsSubscription<AddressResource>[] = [];
      const lastChange: (XdsChange | undefined)[] = [];
      for (let i = 0; i < PROXIES; i++) {
        const c = newClient(port, `ztunnel-${i}`);
        const sub = c.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
        c.subscribe(AUTHORIZATION_TYPE_URL, { decode: decodeAuthorization });
        sub.on("change", (ch) => (lastChange[i] = ch));
        c.start();
        clients.push(c);
        subs.push(sub);
      }
      const all = { minSubscribers: PROXIES, timeoutMs: 30_000 };
      await Promise.all([
        xds.whenAcked(ADDRESS_TYPE_URL, v0, all),
        xds.whenAcked(AUTHORIZATION_TYPE_URL, v0, all),
      ]);
      for (const sub of subs) assert.equal(sub.resources().size, 220);

      // One workload changes.
      const changed = syntheticWorkload(7, { healthy: false });
      addresses.set(changed.uid, encodeWorkload(changed));
      const v1 = xds.setResources(ADDRESS_TYPE_URL, addresses);
      assert.ok(v1 > v0);
      await xds.whenAcked(ADDRESS_TYPE_URL, v1, { timeoutMs: 10_000 });
      // Policies did not change in v1: their subscribers are at v1 without a response.
      await xds.whenAcked(AUTHORIZATION_TYPE_URL, v1, { timeoutMs: 10_000 });

      const status = xds.status();
      assert.equal(status.length, PROXIES);
      for (const p of status) {
        const t = p.types.find((x) => x.typeUrl === ADDRESS_TYPE_URL);
        assert.equal(t?.ackedVersion, xds.version(), p.nodeId);
        assert.equal(t?.lastNack, undefined);
        assert.equal(t?.resources, 220);
      }
      for (let i = 0; i < PROXIES; i++) {
        // Incremental: the update carried that one workload and nothing else.
        assert.deepEqual(lastChange[i], {
          typeUrl: ADDRESS_TYPE_URL,
          systemVersion: String(v1),
          added: [],
          updated: [changed.uid],
          removed: [],
        });
        const got = subs[i]?.get(changed.uid);
        assert.equal(got?.kind === "workload" && got.workload.healthy, false);
      }

      // A service is removed.
      const gone = serviceKey(syntheticService(3));
      addresses.delete(gone);
      const v2 = xds.setResources(ADDRESS_TYPE_URL, addresses);
      await xds.whenAcked(ADDRESS_TYPE_URL, v2, { timeoutMs: 10_000 });
      for (let i = 0; i < PROXIES; i++) {
        assert.deepEqual(lastChange[i]?.removed, [gone]);
        assert.equal(subs[i]?.get(gone), undefined);
        assert.equal(subs[i]?.resources().size, 219);
      }
    } finally {
      for (const c of clients) c.close();
      close();
    }
  },
);
