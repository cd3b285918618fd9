/**
 * What `tlsmcp mcp pins`, the `tlsmcp_mcp_pins` tool and the
 * `tlsmcp://pins/{service_id}` resource do with a state dir's pin files:
 * list pins and pending changes, approve pending changes (the backend's current
 * definitions become the pins), reset (forget every pin: the next contact pins
 * afresh). A running front sees the new file on its next check.
 */
import { readdirSync } from 'node:fs';
import { z } from 'zod';
import { TlsmcpError } from '../errors.js';
import { pinsFile, statePaths } from '../state/state-dir.js';
import { approve } from './pinning-compare.js';
import { createPinStore, emptyPinFile, pendingChangeSchema, type PinFile } from './pinning-store.js';

export const pinViewSchema = z.object({
  kind: z.enum(['tool', 'prompt', 'template']),
  name: z.string(),
  hash: z.string(),
  pinned_at: z.string(),
});

export const servicePinsSchema = z.object({
  service: z.string(),
  pins: z.array(pinViewSchema),
  pending: z.array(pendingChangeSchema.omit({ definition: true })),
});
export type ServicePins = z.infer<typeof servicePinsSchema>;

const storeOf = (stateDir: string, service: string) => createPinStore(service, pinsFile(statePaths(stateDir).pinsDir, service));

function view(file: PinFile): ServicePins {
  return {
    service: file.service,
    pins: Object.values(file.pins)
      .map(({ kind, name, hash, pinned_at }) => ({ kind, name, hash, pinned_at }))
      .sort((a, b) => `${a.kind}:${a.name}`.localeCompare(`${b.kind}:${b.name}`)),
    pending: Object.values(file.changes).map(({ definition: _definition, ...rest }) => rest),
  };
}

/** Services that have a pin file in this state dir. */
export function pinnedServices(stateDir: string): string[] {
  try {
    return readdirSync(statePaths(stateDir).pinsDir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

export function listPins(stateDir: string, service?: string): ServicePins[] {
  const names = service ? [service] : pinnedServices(stateDir);
  return names.map((name) => view(storeOf(stateDir, name).read()));
}

/** Accepts the pending changes of a service (or of one tool, prompt or template by name). */
export async function approvePins(stateDir: string, service: string, name: string | undefined, now: Date): Promise<{ approved: string[]; pins: ServicePins }> {
  let approved: string[] = [];
  const file = await storeOf(stateDir, service).update((f) => {
    approved = approve(f, now.toISOString(), name);
  });
  if (approved.length === 0) {
    const what = name ? `no pending change named "${name}"` : 'no pending changes';
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service "${service}" has ${what} to approve`, {
      fix: `see what is pending with \`tlsmcp mcp pins list --service ${service}\``,
    });
  }
  return { approved, pins: view(file) };
}

/** Forgets every pin and pending change of a service: the next session pins what the backend then serves. */
export async function resetPins(stateDir: string, service: string): Promise<ServicePins> {
  const file = await storeOf(stateDir, service).update((f) => {
    Object.assign(f, emptyPinFile(service));
  });
  return view(file);
}
