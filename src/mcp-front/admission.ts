/**
 * Connection-level admission for the MCP front: the core's one decision
 * (src/core/admission.ts) for the service's `mtls`, answered the HTTP way (401
 * for certificate problems, 403 for a refused identity) before any MCP message
 * is read, so a refused agent never reaches a backend.
 */
import type { TLSSocket } from 'node:tls';
import { compileAdmission } from '../core/admission.js';
import { httpStatusFor, type RejectReason } from '../core/reasons.js';
import type { PeerIdentity } from './peer-identity.js';
import type { McpServiceConfig } from './service.js';

export interface AdmissionRefusal {
  status: 401 | 403 | 503;
  /** A reason of the core's one list (src/core/reasons.ts). */
  reason: RejectReason;
  message: string;
}

export type Admission = (identity: PeerIdentity, socket: TLSSocket) => AdmissionRefusal | undefined;

/** Builds the admission check for one service. `isRevoked` is asked on every request. */
export function createAdmission(service: Pick<McpServiceConfig, 'name' | 'mtls'>, isRevoked: (serial: string) => boolean): Admission {
  const admit = compileAdmission(service.mtls, { isRevoked });
  return (identity, socket) => {
    const refusal = admit({
      identity: identity.certificate,
      authorized: identity.authorized,
      authorizationError: identity.authorizationError,
      resumed: socket.isSessionReused(),
    });
    if (!refusal) return undefined;
    return { status: httpStatusFor(refusal.reason), reason: refusal.reason, message: `service "${service.name}" refused ${identity.cn === undefined ? 'the client' : `CN ${JSON.stringify(identity.cn)}`}: ${refusal.detail}` };
  };
}
