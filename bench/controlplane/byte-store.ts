/**
 * What the sample proxy of a control plane benchmark process keeps per address (proxies.ts):
 * the resource's bytes, left where they arrived (the gRPC message buffer the client read them
 * from), and found again by the small number the XdsSubscription keeps as the resource's value.
 * `decode` then reports what decoding all of them costs one proxy.
 *
 * No copy and no object per address: copying page-faults in fresh memory and a view per
 * address is one more object for the garbage collector to promote and mark, costs of the
 * bench, not of the control plane or of the client library.
 *
 * Append-only: a replaced resource's old reference stays, which is fine for the bench's 50
 * changes. The client never reuses a message buffer once it has handed it over, so the bytes a
 * reference points at do not change.
 */
export class ByteStore {
  private readonly buffers: ArrayBufferLike[] = [];
  // per stored value: buffer index, offset, length
  private readonly index: number[] = [];

  /** Remembers where `bytes` are; returns the number that finds them again. */
  put(bytes: Uint8Array): number {
    // Consecutive resources come from the same response: add its buffer once.
    if (this.buffers[this.buffers.length - 1] !== bytes.buffer) this.buffers.push(bytes.buffer);
    this.index.push(this.buffers.length - 1, bytes.byteOffset, bytes.length);
    return this.index.length / 3 - 1;
  }

  /** The bytes stored as `ref` (a view, not a copy). */
  get(ref: number): Uint8Array {
    const i = 3 * ref;
    return new Uint8Array(this.buffers[this.index[i]!]!, this.index[i + 1]!, this.index[i + 2]!);
  }
}
