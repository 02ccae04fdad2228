/**
 * The two sides a node proxy's DNS server talks to in these tests, on loopback: a client that
 * sends queries over UDP or TCP and decodes the replies, and a fake upstream resolver.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect } from "node:net";
import * as packet from "dns-packet";
import { FrameReader, frame } from "../../../src/ztunnel/dns/index.js";

let nextId = 1;
export function query(name: string, type: packet.RecordType = "A"): Buffer {
  return packet.encode({
    type: "query",
    id: nextId++,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type }],
  });
}

/**
 * Sends messages on one UDP socket (bound to `from`) and collects replies until `count` arrived
 * (bounded wait).
 */
export async function udpExchange(
  port: number,
  msgs: Buffer[],
  count = msgs.length,
  from = "127.0.0.1",
): Promise<packet.DecodedPacket[]> {
  const sock = createSocket("udp4");
  try {
    await new Promise<void>((ok) => sock.bind(0, from, () => ok()));
    return await new Promise((resolve, reject) => {
      const got: packet.DecodedPacket[] = [];
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} replies`)), 5000);
      sock.on("message", (m) => {
        got.push(packet.decode(m));
        if (got.length === count) {
          clearTimeout(timer);
          resolve(got);
        }
      });
      for (const m of msgs) sock.send(m, port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

/** Sends messages pipelined in one write on one TCP connection; resolves with every reply. */
export async function tcpExchange(port: number, msgs: Buffer[]): Promise<packet.DecodedPacket[]> {
  const socket = connect(port, "127.0.0.1");
  const reader = new FrameReader();
  try {
    return await new Promise((resolve, reject) => {
      const got: packet.DecodedPacket[] = [];
      const timer = setTimeout(() => reject(new Error(`only ${got.length} TCP replies`)), 5000);
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        for (const m of reader.push(chunk)) got.push(packet.decode(m));
        if (got.length === msgs.length) {
          clearTimeout(timer);
          resolve(got);
        }
      });
      socket.write(Buffer.concat(msgs.map(frame)));
    });
  } finally {
    socket.destroy();
  }
}

export const rcode = (p: packet.DecodedPacket) => (p as { rcode?: string }).rcode;
export const ips = (p: packet.DecodedPacket) =>
  (p.answers ?? []).flatMap((a) => ("data" in a && typeof a.data === "string" ? [a.data] : []));

/**
 * A fake upstream on 127.0.0.1: answers www.example.org (192.0.2.1) and says NXDOMAIN to other
 * names, stays silent, or answers with the wrong message ID. `seen` lists the names asked.
 */
export async function fakeUpstream(
  behaviour: "answer" | "silent" | "wrong-id",
): Promise<{ port: number; seen: string[]; close(): void }> {
  const sock: UdpSocket = createSocket("udp4");
  const seen: string[] = [];
  sock.on("message", (msg, rinfo) => {
    const q = packet.decode(msg);
    const name = q.questions?.[0]?.name ?? "";
    seen.push(name);
    if (behaviour === "silent") return;
    const known = name === "www.example.org";
    const reply = packet.encode({
      type: "response",
      id: behaviour === "wrong-id" ? ((q.id ?? 0) + 1) % 65536 : q.id,
      flags: packet.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: q.questions,
      answers: known ? [{ name, type: "A", ttl: 60, data: "192.0.2.1" }] : [],
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((ok) => sock.bind(0, "127.0.0.1", () => ok()));
  return { port: sock.address().port, seen, close: () => sock.close() };
}
