/**
 * The supervisor's contract, as the CLI (`run`, `status`, `reload`), the admin
 * HTTP endpoint and the MCP tools see it. `createSupervisor` in this folder
 * implements it over worker_threads, one worker per configured service.
 */
import { z } from 'zod';

export const workerStateSchema = z.enum(['starting', 'ready', 'not_ready', 'restarting', 'stopping', 'stopped', 'failed']);
export type WorkerState = z.infer<typeof workerStateSchema>;

export const serviceStatusSchema = z.object({
  name: z.string(),
  mode: z.enum(['server', 'client']),
  protocol: z.enum(['tcp', 'mcp']),
  /** The bound address (real port when the config said 0). */
  listen: z.string(),
  backend: z.string(),
  /** The listener the workers of a TCP service run: Node's tls (js) or the native data path (data_path: auto picks). */
  data_path: z.enum(['js', 'native']).optional(),
  state: workerStateSchema,
  /** Why it is not ready, e.g. "backend 127.0.0.1:8080 unreachable". */
  state_reason: z.string().optional(),
  worker: z.object({ thread_id: z.number().optional(), restarts: z.number(), started_at: z.string().optional() }),
  connections: z.object({
    /** Established connections open now (sockets still in their handshake are not counted). */
    active: z.number(),
    /** limits.max_connections of the service (per worker). */
    max: z.number().optional(),
    accepted: z.number(),
    rejected: z.number(),
    rejected_by_reason: z.record(z.string(), z.number()),
  }),
  bytes: z.object({ in: z.number(), out: z.number() }),
  certificate: z.object({
    source: z.enum(['config', 'ca']),
    serial: z.string().optional(),
    not_after: z.string().optional(),
    days_left: z.number().optional(),
  }),
});
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

export const reloadResultSchema = z.object({
  service: z.string(),
  reloaded: z.boolean(),
  /** What took effect live: "certificate", "policy", "limits". */
  applied: z.array(z.string()),
  /** Changes that need a restart to apply (e.g. "listen.address"). */
  needs_restart: z.array(z.string()),
  error: z.string().optional(),
});
export type ReloadResult = z.infer<typeof reloadResultSchema>;

export const revokeResultSchema = z.object({
  serial: z.string(),
  /** Live connections (or MCP sessions) cut, across all workers. */
  connections_closed: z.number(),
});
export type RevokeResult = z.infer<typeof revokeResultSchema>;

export interface Supervisor {
  /** Spawns every worker and resolves once each has announced `ready` (or failed). */
  start(): Promise<void>;
  status(): ServiceStatus[];
  /** Re-reads certificates (and, given a new config, policy) for one service or all. */
  reload(options?: { service?: string; config?: import('../config/schema.js').Config }): Promise<ReloadResult[]>;
  /** When the revocation list was last read (ISO), or null before the first read; for the score's freshness rule. */
  revocationsLoadedAt?(): string | null;
  /** Client certificate serials (lowercase hex) in live connections, as the workers last reported; for the score. */
  liveSerials?(): string[];
  /** Marks connections from `peer` as the score's own probes (left out of metrics and audit) until released; returns the mark's id. */
  markScoreProbes?(peer: string): number;
  releaseScoreProbes?(id: number): boolean;
  /** Pushes revoked serials to every worker now; resolves with what each cut. */
  revoke(serials: string[]): Promise<RevokeResult[]>;
  /** Stop accepting, let live connections finish up to the drain deadline, stop workers. Safe to call twice. */
  close(options?: { drainMs?: number }): Promise<void>;
}
