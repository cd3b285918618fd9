/**
 * What the Hub does, independent of HTTP: issue, revoke and renew through the
 * Hub's CA (src/ca, not a fork), enroll instances by token, keep the
 * revocation and policy feed, the fleet audit log, and the fleet score. The
 * routes are thin wrappers over this; the MCP tools can be too.
 */
import { X509Certificate } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { CertificateAuthority, CertType, CertView, RevocationReason, TtlPolicy } from '../ca/types.js';
import { normalizeSerial } from '../ca/serial.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { computeScore, type ScoreReport } from '../score/index.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { FeedBroker } from './feed-broker.js';
import type { HubStore } from './store.js';
import { hashToken } from './tokens.js';
import { INSTANCE_OU, type FeedEntry, type FleetEvent, type Instance, type Policy, type PolicyRecord, type Revocation } from './types.js';

export interface HubServiceOptions {
  ca: CertificateAuthority;
  store: HubStore;
  broker: FeedBroker;
  policy: TtlPolicy;
  logger: Logger;
  clock?: () => Date;
}

export interface IssueInput {
  type: CertType;
  service: string;
  cn?: string | undefined;
  ttl?: string | undefined;
  sans?: { dns?: string[] | undefined; ip?: string[] | undefined; uri?: string[] | undefined } | undefined;
  csr?: string | undefined;
}

export interface IssuedCert {
  id: string;
  serial: string;
  type: CertType;
  service: string;
  not_before: string;
  not_after: string;
  cert_pem: string;
  ca_pem: string;
  /** Only when the Hub made the key (no CSR); never stored by the Hub. */
  key_pem?: string | undefined;
}

export interface EnrollInput {
  token: string;
  /** When given, the token must have been made for this service. */
  service_id?: string | undefined;
  csr: string;
  server_names?: { dns?: string[] | undefined; ip?: string[] | undefined } | undefined;
  version?: string | undefined;
}

export interface EnrollResult {
  instance_id: string;
  service_id: string;
  cert_id: string;
  cert_pem: string;
  server_cert_id: string;
  server_cert_pem: string;
  ca_pem: string;
  revocations: Revocation[];
  cursor: number;
}

export type HubService = ReturnType<typeof createHubService>;

export function createHubService(options: HubServiceOptions) {
  const { ca, store, broker, logger } = options;
  const clock = options.clock ?? (() => new Date());

  function publish(entry: FeedEntry) {
    broker.publish(entry);
  }

  async function ttlFor(type: CertType, service: string, ttl: string | undefined): Promise<number | undefined> {
    const ms = ttl === undefined ? undefined : parseDuration(ttl);
    if (ttl !== undefined && ms === undefined) {
      throw new TlsmcpError('ERR_ARGUMENT_INVALID', `ttl: "${ttl}" is not a duration`, { fix: 'write a number followed by ms, s, m, h or d, e.g. 24h' });
    }
    const { policy } = await store.policy(service);
    const limit = type === 'client' ? policy.client_max_ttl : policy.server_max_ttl;
    const limitMs = limit ? parseDuration(limit) : undefined;
    if (limitMs === undefined) return ms;
    // No ttl asked: the CA's default, capped by the service's policy.
    if (ms === undefined) return Math.min(limitMs, type === 'client' ? options.policy.client.default_ttl : options.policy.server.ttl);
    if (ms > limitMs) {
      throw new TlsmcpError('ERR_CERT_TTL', `ttl: exceeds the ${type}_max_ttl of service ${service}'s policy (${formatDuration(limitMs)})`, {
        fix: `ask for ${formatDuration(limitMs)} or less, or change the policy with PUT /api/v1/policy/${service}`,
      });
    }
    return ms;
  }

  function issued(r: { record: { id: string; serial: string; type: CertType; service: string; not_before: string; not_after: string }; certPem: string; caPem: string; keyPem: string | undefined }): IssuedCert {
    const { id, serial, type, service, not_before, not_after } = r.record;
    return { id, serial, type, service, not_before, not_after, cert_pem: r.certPem, ca_pem: r.caPem, ...(r.keyPem ? { key_pem: r.keyPem } : {}) };
  }

  async function revokeRecord(view: CertView, reason: RevocationReason): Promise<Revocation> {
    const after = view.revoked ? view : await ca.revoke(view.id, reason);
    const rev: Revocation = { serial: after.serial, id: after.id, reason: after.revoked?.reason ?? reason, revoked_at: after.revoked?.at ?? clock().toISOString() };
    const before = await store.lastSeq();
    const entry = await store.addRevocation(rev);
    if (entry.seq > before) {
      logger.info({ event: 'hub_revocation', id: rev.id, serial: rev.serial, reason: rev.reason, seq: entry.seq }, 'certificate revoked fleet-wide');
      publish(entry);
    }
    return entry.data;
  }

  return {
    ca,
    store,

    /** Copies into the feed any revocation the CA holds but the store lacks (a crash between the two writes). */
    async reconcile(): Promise<number> {
      let added = 0;
      for (const r of await ca.revocations()) {
        if (await store.revocation(r.serial)) continue;
        await store.addRevocation({ serial: r.serial, id: r.id, reason: r.reason, revoked_at: r.at });
        added++;
      }
      return added;
    },

    async issue(input: IssueInput): Promise<IssuedCert> {
      const ttlMs = await ttlFor(input.type, input.service, input.ttl);
      const result = await ca.issue({
        type: input.type,
        service: input.service,
        cn: input.cn,
        ...(input.sans?.dns ? { dns: input.sans.dns } : {}),
        ...(input.sans?.ip ? { ip: input.sans.ip } : {}),
        ...(input.sans?.uri ? { uri: input.sans.uri } : {}),
        ttlMs,
        csrPem: input.csr,
      });
      if (result.record.files.key) {
        // The Hub returns a generated key once and keeps no copy.
        const { rmSync } = await import('node:fs');
        rmSync(result.record.files.key, { force: true });
      }
      return issued(result);
    },

    get: (id: string) => ca.get(id),

    async revoke(id: string, reason: RevocationReason = 'unspecified'): Promise<Revocation> {
      return revokeRecord(await ca.get(id), reason);
    },

    revocations: (since?: number) => store.revocationsSince(since),

    async renew(id: string): Promise<IssuedCert> {
      const old = await ca.get(id);
      const result = await ca.renew(old.id);
      if (result.record.files.key) {
        const { rmSync } = await import('node:fs');
        rmSync(result.record.files.key, { force: true });
      }
      return issued(result);
    },

    policy: (serviceId: string): Promise<PolicyRecord> => store.policy(serviceId),

    async putPolicy(serviceId: string, policy: Policy): Promise<PolicyRecord> {
      const entry = await store.putPolicy(serviceId, policy, clock().toISOString());
      logger.info({ event: 'hub_policy', service_id: serviceId, version: entry.data.version, seq: entry.seq }, 'policy changed');
      publish(entry);
      return entry.data;
    },

    async recordEvents(instance: Instance, events: FleetEvent[], report: { version?: string | undefined; cursor?: number | undefined }): Promise<number> {
      const now = clock();
      const stored = await store.appendEvents(instance.id, events, now.toISOString());
      const last = await store.lastSeq();
      const lag = report.cursor === undefined ? undefined : await feedLagMs(report.cursor, last, now);
      await store.touchInstance(instance.id, { last_seen: now.toISOString(), version: report.version, cursor: report.cursor, sync_latency_ms: lag });
      return stored;
    },

    async touch(instance: Instance) {
      await store.touchInstance(instance.id, { last_seen: clock().toISOString() });
    },

    instances: () => store.listInstances(),

    async enroll(input: EnrollInput): Promise<EnrollResult> {
      const consumed = await store.consumeToken(hashToken(input.token), clock().toISOString(), input.service_id);
      if (!consumed.ok) {
        const why = { unknown: 'is not known to this Hub', used: 'was already used', expired: 'has expired', service: `was made for another service than ${input.service_id ?? ''}` }[consumed.reason];
        throw new TlsmcpError('ERR_TOKEN_INVALID', `the enrollment token ${why}`, { fix: 'ask an admin for a new one: tlsmcp hub token create --service-id ID' });
      }
      const serviceId = consumed.service_id;
      const instanceId = randomUUID();
      // CN = the service, so peers' allowed_services admit it; the instance is named by a URI SAN.
      // As long-lived as a server certificate: the sidecar renews it (cert-renewal.ts) well before it expires.
      const client = await ca.issue({ type: 'client', service: serviceId, cn: serviceId, ou: INSTANCE_OU, uri: [`urn:tlsmcp:instance:${instanceId}`], csrPem: input.csr, ttlMs: options.policy.server.ttl });
      const dns = input.server_names?.dns?.length ? input.server_names.dns : ['localhost'];
      const ip = input.server_names?.ip?.length ? input.server_names.ip : ['127.0.0.1'];
      const server = await ca.issue({ type: 'server', service: serviceId, cn: dns[0] ?? serviceId, dns, ip, csrPem: input.csr });
      const now = clock().toISOString();
      await store.addInstance({
        id: instanceId,
        service_id: serviceId,
        cert_serial: client.record.serial,
        cert_id: client.record.id,
        server_cert_id: server.record.id,
        enrolled_at: now,
        last_seen: now,
        version: input.version ?? null,
        cert_not_after: client.record.not_after,
        sync_latency_ms: null,
        cursor: null,
      });
      const { revocations, cursor } = await store.revocationsSince();
      logger.info({ event: 'hub_enrolled', instance_id: instanceId, service_id: serviceId, serial: client.record.serial }, 'instance enrolled');
      return {
        instance_id: instanceId,
        service_id: serviceId,
        cert_id: client.record.id,
        cert_pem: client.certPem,
        server_cert_id: server.record.id,
        server_cert_pem: server.certPem,
        ca_pem: client.caPem,
        revocations,
        cursor,
      };
    },

    /**
     * The enrolled instance a client certificate serial stands for: the one bound
     * to it, or else the one whose current instance certificate was renewed from
     * it (one generation back, neither revoked). That second case is a renewal
     * whose answer never reached the sidecar (the Hub restarted, the connection
     * dropped): the sidecar still holds the previous certificate, with the same
     * key, and must be able to ask again rather than lose the Hub for good.
     */
    async instanceForSerial(serial: string, { renewedFrom }: { renewedFrom: boolean }): Promise<Instance | undefined> {
      const bound = await store.instanceBySerial(serial);
      // `renewedFrom: false` (not an instance certificate, by its OU) skips the CA lookup: any client of the Hub CA can call.
      if (bound || !renewedFrom) return bound;
      const certs = await ca.list({ type: 'client' });
      const presented = certs.find((c) => c.serial === normalizeSerial(serial));
      if (!presented || presented.revoked) return undefined;
      const successor = certs.find((c) => c.renewed_from === presented.id);
      if (!successor || successor.revoked) return undefined;
      return (await store.listInstances()).find((i) => i.cert_id === successor.id);
    },

    /** Renews a certificate for an instance (its server or instance certificate) and keeps its Hub identity bound. */
    async renewForInstance(instance: Instance, id: string): Promise<IssuedCert> {
      const old = await ca.get(id);
      if (old.id !== instance.cert_id && old.id !== instance.server_cert_id) {
        // The retry of a renewal whose answer was lost: the certificate it asks to renew
        // already was, into the instance's current one. Answer with that one; issuing
        // another would only orphan it.
        for (const currentId of [instance.cert_id, instance.server_cert_id]) {
          if (!currentId) continue;
          const current = await ca.get(currentId);
          if (current.renewed_from === old.id && !current.revoked) {
            logger.info({ event: 'hub_renewal_repeated', instance_id: instance.id, id: old.id, renewed: current.id }, 'renewal asked again; answered with the certificate already issued');
            return issued({ record: current, certPem: await ca.certPem(current.id), caPem: ca.caCertPem(), keyPem: undefined });
          }
        }
        throw new TlsmcpError('ERR_FORBIDDEN', `certificate ${old.id} does not belong to instance ${instance.id}`, { fix: 'an instance renews only its own certificates; an admin renews any' });
      }
      const result = await ca.renew(old.id);
      if (old.id === instance.cert_id) await store.rebindInstance(instance.id, { cert_serial: result.record.serial, cert_id: result.record.id, cert_not_after: result.record.not_after });
      else await store.rebindInstance(instance.id, { server_cert_id: result.record.id });
      return issued(result);
    },

    async score(): Promise<ScoreReport> {
      const now = clock();
      const certs = await ca.list();
      const renewed = new Set(certs.map((c) => c.renewed_from).filter((x): x is string => Boolean(x)));
      const instances = await store.listInstances();
      const events = await store.listEvents({ limit: 5000, kind: 'connection' });
      const oldestSync = instances.map((i) => i.last_seen).filter((x): x is string => Boolean(x)).sort()[0] ?? null;
      return computeScore({
        now: now.toISOString(),
        services: [],
        policy: { client_max_ttl_ms: options.policy.client.max_ttl, server_max_ttl_ms: options.policy.server.max_ttl },
        certs: certs.map((c) => ({
          id: c.id,
          serial: c.serial,
          type: c.type,
          service: c.service,
          cn: c.cn,
          key_type: c.key_type,
          not_before: c.not_before,
          not_after: c.not_after,
          status: c.status,
          days_left: c.days_left,
          superseded: renewed.has(c.id),
        })),
        live_serials: events.length > 0 ? [...new Set(events.map((e) => e.serial).filter((s): s is string => Boolean(s)).map(normalizeSerial))] : null,
        revocation: instances.length > 0 ? { loaded_at: oldestSync, max_age_ms: 3 * 30_000 } : null,
        listener_grades: null,
        audit_enabled: true,
      });
    },
  };

  async function feedLagMs(cursor: number, last: number, now: Date): Promise<number> {
    if (cursor >= last) return 0;
    // The instance has not seen the entry after its cursor: it is behind by that entry's age.
    const next = (await store.feedSince(cursor))[0];
    return next ? Math.max(0, now.getTime() - Date.parse(next.at)) : 0;
  }
}

/** Reads the serial of a PEM certificate in the CA's form. */
export function serialOfPem(pem: string): string {
  return normalizeSerial(new X509Certificate(pem).serialNumber);
}
