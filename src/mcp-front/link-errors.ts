/**
 * Which transport failures mean "the MCP session at the other end is gone"
 * (reconnect and replay the handshake) versus "this stream died" (reconnect)
 * versus anything else (report it). Shared by the front's HTTP backends and
 * `tlsmcp connect`.
 */
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** A 404 on a request in a session: the server no longer knows the session. */
export function isSessionLost(err: unknown): boolean {
  if (err instanceof StreamableHTTPError) return err.code === 404;
  return err instanceof Error && /\(HTTP 404\)/.test(err.message);
}

/** The server-to-client stream is gone for good (SSE) or could not be reopened (Streamable HTTP). */
export function isStreamLost(err: Error): boolean {
  if (err instanceof SseError) return true;
  return /SSE stream disconnected|Maximum reconnection attempts/.test(err.message);
}
