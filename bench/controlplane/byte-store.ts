/**
 * What a simulated proxy of the control plane benchmark holds per address: the resource's
 * bytes, copied out of the response they arrived in into a few large chunks, and found again
 * by the small number the XdsSubscription keeps as the resource's value. Holding the views the
 * client hands over instead would keep every 256 KiB response alive for as long as one of its
 * resources is held (50 proxies x 4 MB per process), and give the garbage collector an extra
 * object per address to copy and mark: costs of the simulation, not of the control plane or the
 * client, that a real proxy (which decodes each resource into its own state) does not have.
 *
 * Append-only: a replaced resource's old bytes stay, which is fine for the bench's 50 changes.
 */
const CHUNK_BYTES = 1 << 20;

export class ByteStore {
  private readonly chunks: Uint8Array[] = [];
  private current = new Uint8Array(0);
  private used = 0;
  // per stored value: chunk index, offset, length
  private readonly index: number[] = [];

  /** Copies `bytes` in; returns the number that finds them again. */
  put(bytes: Uint8Array): number {
    if (this.used + bytes.length > this.current.length) {
      this.current = new Uint8Array(Math.max(CHUNK_BYTES, bytes.length));
      this.chunks.push(this.current);
      this.used = 0;
    }
    this.current.set(bytes, this.used);
    this.index.push(this.chunks.length - 1, this.used, bytes.length);
    this.used += bytes.length;
    return this.index.length / 3 - 1;
  }

  /** The bytes stored as `ref` (a view, not a copy). */
  get(ref: number): Uint8Array {
    const chunk = this.chunks[this.index[3 * ref]!]!;
    const at = this.index[3 * ref + 1]!;
    return chunk.subarray(at, at + this.index[3 * ref + 2]!);
  }
}
