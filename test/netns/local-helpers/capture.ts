/**
 * Packet captures for the local-mode tests: tcpdump inside one of the cluster's namespaces (the
 * fabric bridge between nodes, or a node's loopback), written to a pcap file and parsed here, so a
 * test can look at the TCP payload bytes that actually crossed the wire. Bounded by a packet count
 * (-c) and a time limit; tcpdump is ended by PID.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export interface TcpPacket {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer;
}

/** TCP over IPv4 packets of a pcap file (Ethernet or loopback's Ethernet-like framing). Pure. */
export function parsePcap(buf: Buffer): TcpPacket[] {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`unexpected pcap link type ${linkType} (want Ethernet)`);
  const out: TcpPacket[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 6) continue;
    const totalLen = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl, totalLen);
    if (tcp.length < 20) continue;
    const dataOff = (tcp[12]! >> 4) * 4;
    out.push({
      src: `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`,
      dst: `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`,
      sport: tcp.readUInt16BE(0),
      dport: tcp.readUInt16BE(2),
      payload: Buffer.from(tcp.subarray(dataOff)),
    });
  }
  return out;
}

/**
 * Captures TCP on `iface` inside `netns` while `during()` runs, then returns the packets.
 * tcpdump gets at most `maxPackets` packets and `timeoutMs` in all.
 */
export async function captureWhile<T>(
  netns: string,
  iface: string,
  during: () => Promise<T>,
  opts: { maxPackets?: number; timeoutMs?: number } = {},
): Promise<{ packets: TcpPacket[]; result: T }> {
  const file = join(tmpdir(), `ambit-cap-${randomBytes(4).toString("hex")}.pcap`);
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      netns,
      "tcpdump",
      "-i",
      iface,
      "-nn",
      "-U",
      "--immediate-mode",
      "-s",
      "0",
      "-c",
      String(opts.maxPackets ?? 2_000),
      "-w",
      file,
      "tcp",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const kill = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
  try {
    let stderr = "";
    // tcpdump says "listening on <iface>" once the capture is armed.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("listening on")) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once("close", () => {
        clearTimeout(t);
        reject(new Error(`tcpdump exited: ${stderr}`));
      });
    });
    const result = await during();
    // -U writes each packet as it comes; a short pause lets the last ones reach the file.
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    await exited;
    return { packets: parsePcap(readFileSync(file)), result };
  } finally {
    clearTimeout(kill);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(file, { force: true });
  }
}

/** True when the bytes start with a TLS record header (content type 20-23, version 3.x). */
export function startsWithTlsRecord(b: Buffer): boolean {
  return b.length >= 5 && b[0]! >= 20 && b[0]! <= 23 && b[1] === 3 && b[2]! <= 4;
}
