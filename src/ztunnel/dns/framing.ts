/**
 * DNS over TCP framing (RFC 1035 4.2.2, RFC 7766): each message is preceded by its length as a
 * 2-byte big-endian integer. A connection may carry several queries, pipelined.
 */

/** Prefix a message with its length. */
export function frame(msg: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(msg.length, 0);
  return Buffer.concat([head, msg]);
}

/** Collects stream chunks and hands out whole messages. Holds at most one partial message. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    while (this.buffered.length >= 2) {
      const len = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + len) break;
      out.push(this.buffered.subarray(2, 2 + len));
      this.buffered = this.buffered.subarray(2 + len);
    }
    return out;
  }

  /** Bytes of an incomplete message waiting for the rest. */
  get pending(): number {
    return this.buffered.length;
  }
}
