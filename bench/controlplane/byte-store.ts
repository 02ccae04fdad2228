/**
 * What a simulated proxy of the control plane benchmark holds per address: the resource's
 * bytes, left where they arrived (the gRPC message buffer the client decoded them from), and
 * found again by the small number the XdsSubscription keeps as the resource's value.
 *
 * A real proxy decodes each resource into state of its own (bench/controlplane.ts reports what
 * that costs one proxy); 100 proxies decoding on the bench machine would measure 100 times one
 * proxy's work instead of the control plane. Holding the bytes keeps what a proxy holds the
 * same size without that. The two cheaper-looking alternatives cost more than they save: a
 * view object per address gives the garbage collector 550,000 more objects per process to
 * promote and mark, and copying into a store of our own page-faults in a fresh 180 MB per
 * process (memset of new ArrayBuffers was a quarter of the proxies' page faults under perf).
 * Neither is a cost of the control plane or of the client library.
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
