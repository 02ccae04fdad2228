/**
 * HBONE tuning, with ztunnel's values (istio/ztunnel src/config.rs, src/proxy/h2/client.rs,
 * src/proxy/h2/server.rs) unless a comment says otherwise.
 */

/** Per-stream flow-control window: HTTP2_STREAM_WINDOW_SIZE, 4 MiB. */
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * Connection window = 4 × stream window (HTTP2_CONNECTION_WINDOW_SIZE, 16 MiB): equal windows
 * let one unread stream starve the others on the connection; 4× avoids that without much
 * buffering (ztunnel config.rs comment).
 */
export const CONNECTION_WINDOW_FACTOR = 4;
/** Largest DATA frame we accept: HTTP2_FRAME_SIZE, 1 MiB (fewer frames per MB moved). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** POOL_MAX_STREAMS_PER_CONNECTION: 100 ("Go: 100, Hyper: 200, ... spec recommended minimum 100"). */
export const MAX_STREAMS_PER_CONNECTION = 100;
/** POOL_UNUSED_RELEASE_TIMEOUT: an unused pooled connection is closed after 5 minutes. */
export const POOL_IDLE_MS = 5 * 60_000;
/** The client accepts response header lists up to 16 KiB (client.rs max_header_list_size). */
export const CLIENT_MAX_HEADER_LIST_BYTES = 16 * 1024;
/** The server accepts request header lists up to 64 KiB (server.rs max_header_list_size). */
export const SERVER_MAX_HEADER_LIST_BYTES = 64 * 1024;
/** Streams a client may open concurrently on one connection (server.rs max_concurrent_streams). */
export const SERVER_MAX_CONCURRENT_STREAMS = 200;
/** TCP + TLS + HTTP/2 SETTINGS, and separately the wait for the CONNECT answer (Ambit's choice). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A client that does not finish the TLS handshake in this time is dropped (Ambit's choice). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Node's http2 refuses new streams once a session buffers more than `maxSessionMemory` MB;
 * with multi-MB windows the default (10) is too small, so allow two full connection windows.
 */
export function sessionMemoryMb(connectionWindowBytes: number): number {
  return Math.max(10, Math.ceil((2 * connectionWindowBytes) / (1024 * 1024)) + 4);
}
