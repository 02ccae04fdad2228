/** The node proxy's table of live connections (admin API) and its per-client port index. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConnectionTable } from "../../../src/ztunnel/connections.js";

describe("ConnectionTable.portsFrom: the ports a preserved connection must not take", () => {
  test("every live connection of that client, whatever its direction; no one else's", () => {
    const connections = new ConnectionTable();
    const open = (source: string, direction: "outbound" | "inbound" = "outbound") =>
      connections.open({ direction, mode: "hbone", source, destination: "10.244.2.3:8080" });
    open("10.244.1.2:40000");
    open("::ffff:10.244.1.2:40002", "inbound");
    open("10.244.1.20:40004");
    open("fd00::1:2:40006");
    const gone = open("10.244.1.2:40008");
    connections.close(gone.id);
    assert.deepEqual(connections.portsFrom("10.244.1.2").sort(), [40000, 40002]);
    assert.deepEqual(connections.portsFrom("fd00::1:2"), [40006]);
    assert.deepEqual(connections.portsFrom("10.244.9.9"), []);
  });
});
