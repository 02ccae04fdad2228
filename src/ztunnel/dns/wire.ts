/**
 * DNS messages on the wire (dns-packet): reading a query defensively and encoding answers with
 * the right flags, EDNS and truncation. Nothing here touches a socket.
 *
 * Choices, following ztunnel's handler (istio/ztunnel src/dns/handler.rs) and the RFCs:
 *  - responses copy ID, opcode, RD and CD from the query; RA is always set (ztunnel does; Go's
 *    resolver treats a non-authoritative answer without RA as a lame referral); AA says whether
 *    the mesh's registry answered;
 *  - a query with QR=1 (a response) is dropped, never answered, so two servers cannot be made to
 *    bounce messages at each other; anything shorter than a header is dropped;
 *  - undecodable queries, zero or several questions, bad names -> FORMERR; other opcodes -> NOTIMP;
 *  - EDNS (RFC 6891): if the query has an OPT record, the response has one, and the UDP limit is
 *    the client's advertised size (at least 512, at most 4096); without it, 512 (RFC 1035);
 *  - a UDP answer over the limit keeps the whole records that fit and sets TC, so the client
 *    retries over TCP (RFC 7766); TCP answers are never truncated.
 */
import * as packet from "dns-packet";
import type { DnsAnswer, DnsQuestion } from "./table.js";

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODE;

const FLAG_QR = 0x8000;
const OPCODE_MASK = 0x7800;
const FLAG_AA = 1 << 10;
const FLAG_TC = 1 << 9;
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const FLAG_CD = 1 << 4;
const HEADER_BYTES = 12;
/** What we advertise in our own OPT record (the 2020 DNS flag day's safe size). */
const OUR_UDP_PAYLOAD = 1232;

export type ParsedQuery =
  | { kind: "query"; packet: packet.DecodedPacket; question: DnsQuestion; udpLimit: number; edns: boolean }
  /** Not a question we answer: send `reply` (if any) and stop. */
  | { kind: "reject"; reply?: Buffer; why: string };

export function parseQuery(msg: Buffer): ParsedQuery {
  if (msg.length < HEADER_BYTES) return { kind: "reject", why: "shorter than a DNS header" };
  const flags = msg.readUInt16BE(2);
  if (flags & FLAG_QR) return { kind: "reject", why: "a response, not a query" };
  let decoded: packet.DecodedPacket;
  try {
    decoded = packet.decode(msg);
  } catch {
    return { kind: "reject", reply: headerOnlyReply(msg, "FORMERR"), why: "undecodable message" };
  }
  if ((flags & OPCODE_MASK) !== 0) {
    return { kind: "reject", reply: headerOnlyReply(msg, "NOTIMP"), why: "opcode other than QUERY" };
  }
  const questions = decoded.questions ?? [];
  const q = questions[0];
  if (questions.length !== 1 || !q || !validName(q.name)) {
    return { kind: "reject", reply: headerOnlyReply(msg, "FORMERR"), why: "not exactly one valid question" };
  }
  if ((q.class ?? "IN") !== "IN") {
    return { kind: "reject", reply: encode(decoded, { rcode: "NOTIMP" }), why: `class ${q.class}` };
  }
  const opt = (decoded.additionals ?? []).find((a) => a.type === "OPT");
  const requested = opt && "udpPayloadSize" in opt ? opt.udpPayloadSize : 512;
  return {
    kind: "query",
    packet: decoded,
    question: { name: q.name, type: q.type },
    udpLimit: opt ? Math.min(Math.max(requested, 512), 4096) : 512,
    edns: opt !== undefined,
  };
}

/**
 * Labels of 1..63 bytes, at most 253 in all: what dns-packet re-encodes faithfully (a decoded
 * label with invalid UTF-8 can grow past 63 bytes and would corrupt the echoed question).
 */
function validName(name: string): boolean {
  if (name === "" || name === ".") return true; // the root
  if (Buffer.byteLength(name) > 253) return false;
  return name.split(".").every((l) => l.length > 0 && Buffer.byteLength(l) <= 63 && !l.includes("\uFFFD"));
}

export interface EncodeOptions {
  rcode: Rcode;
  answer?: Pick<DnsAnswer, "authoritative" | "records">;
  ttlSeconds?: number;
  /** Size limit for UDP; omit for TCP (no truncation). */
  maxBytes?: number;
  edns?: boolean;
}

/** A response to `query` (its ID, question, RD/CD), truncated to `maxBytes` with TC if needed. */
export function encode(query: packet.DecodedPacket, opts: EncodeOptions): Buffer {
  const ttl = opts.ttlSeconds ?? 30;
  let answers: packet.Answer[] = (opts.answer?.records ?? []).map((r) => ({
    name: r.name,
    type: r.type,
    ttl,
    class: "IN" as const,
    data: r.data,
  }));
  let flags = ((query.flags ?? 0) & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | FLAG_RA | RCODE[opts.rcode];
  if (opts.answer?.authoritative) flags |= FLAG_AA;
  const additionals: packet.Answer[] = opts.edns
    ? [
        {
          type: "OPT",
          name: ".",
          udpPayloadSize: OUR_UDP_PAYLOAD,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  const build = (): packet.Packet => ({
    type: "response",
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers,
    additionals,
  });
  if (opts.maxBytes !== undefined && packet.encodingLength(build()) > opts.maxBytes) {
    flags |= FLAG_TC;
    // Drop whole records from the end until the message fits (at worst: header + question).
    while (answers.length > 0 && packet.encodingLength(build()) > opts.maxBytes)
      answers = answers.slice(0, -1);
  }
  return packet.encode(build());
}

/** A reply made of the query's header alone, for queries we cannot (or will not) decode. */
export function headerOnlyReply(msg: Buffer, rcode: Rcode): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  const flags = msg.readUInt16BE(2);
  out.writeUInt16BE(FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD)) | FLAG_RA | RCODE[rcode], 2);
  return out;
}

/** The same message with another ID (forwarding uses its own IDs upstream). */
export function withId(msg: Buffer, id: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(id, 0);
  return out;
}
