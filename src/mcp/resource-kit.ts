/**
 * What every resource read goes through: the caller's identity, the
 * `mcp.authorization` deny rules for resources, and turning expected failures
 * (an unknown service) into a JSON-RPC error whose message carries the fix.
 */
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { toTlsmcpError } from '../errors.js';
import { authorizeResource } from './authorization.js';
import type { McpServerDeps } from './deps.js';
import { identityFromAuthInfo } from './identity.js';
import type { ToolExtra } from './tool-kit.js';

/** Runs a resource read for an authorized caller and renders its value as JSON. */
export async function readJsonResource(
  deps: McpServerDeps,
  uri: URL,
  extra: ToolExtra,
  read: () => Promise<unknown>,
): Promise<ReadResourceResult> {
  const identity = identityFromAuthInfo(extra.authInfo);
  const decision = authorizeResource(deps.config.mcp.authorization, identity, uri.href);
  if (!decision.allowed) throw new McpError(ErrorCode.InvalidRequest, `ERR_FORBIDDEN: ${decision.reason}\n  fix: ${decision.fix}`);
  let value: unknown;
  try {
    value = await read();
  } catch (err) {
    const e = toTlsmcpError(err);
    if (e.code === 'ERR_INTERNAL') deps.logger.error({ event: 'mcp_resource_failed', uri: uri.href, err }, 'resource read failed');
    throw new McpError(ErrorCode.InvalidParams, `${e.code}: ${e.describe()}`);
  }
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

/** The single value of a URI template variable. */
export function variable(value: string | string[] | undefined): string {
  return decodeURIComponent(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
}
