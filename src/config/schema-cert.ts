/**
 * Certificate sections of the config: `server_cert` (where the listener's
 * certificate comes from and when it is renewed: the local CA, an ACME CA such
 * as Let's Encrypt, or files the operator supplies) and `client_cert` (TTL
 * policy for client certificates, CI job certificates, renewal).
 */
import { z } from 'zod';
import { duration } from './primitives.js';

const DAY = 86_400_000;

/** An ACME CA (Let's Encrypt by default) for `provider: letsencrypt`. */
export const acmeObject = z.strictObject({
  directory_url: z.url().default('https://acme-v02.api.letsencrypt.org/directory'),
  /** Contact for the ACME account (expiry notices from the CA). */
  email: z.email().optional(),
  /** Extra CA certificate (PEM) to trust for the directory's HTTPS, e.g. Pebble's. */
  ca_file: z.string().min(1).optional(),
  /** http-01 is answered on http_port; tls-alpn-01 on the service's own listen port (ALPN acme-tls/1). */
  challenge: z.enum(['tls-alpn-01', 'http-01']).default('http-01'),
  http_port: z.number().int().min(1).max(65535).default(80),
  /** First delay after a failed order; doubles up to max_retry_delay. */
  retry_delay: duration('acme_retry').default(30_000),
  max_retry_delay: duration('acme_retry').default(3_600_000),
});

export const serverCertObject = z.strictObject({
  /** internal: the local CA (or Hub); letsencrypt: ACME; commercial: cert_file/key_file from the operator. */
  provider: z.enum(['internal', 'letsencrypt', 'commercial']).default('internal'),
  /** Renew in the background of `tlsmcp run` (internal and letsencrypt). */
  auto_renew: z.boolean().default(true),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  /** Issued by the local CA at start-up when no files are given. */
  ttl: duration('cert_ttl').default(90 * DAY),
  max_ttl: duration('cert_ttl').default(397 * DAY),
  renew_before: duration('renew_before').default(30 * DAY),
  /** How long the replaced certificate stays valid after its successor is active. */
  overlap: duration('overlap').default(5 * DAY),
  dns: z.array(z.string().min(1)).optional(),
  /** The specification's name for `dns` (the names the certificate covers). */
  domains: z.array(z.string().min(1)).optional(),
  ip: z.array(z.string().min(1)).optional(),
  acme: acmeObject.optional(),
});

export const clientCertObject = z.strictObject({
  default_ttl: duration('cert_ttl').default(7 * DAY),
  min_ttl: duration('cert_ttl').default(60_000),
  max_ttl: duration('cert_ttl').default(90 * DAY),
  /** Ceiling for CI job certificates (`tlsmcp cert issue --job`). */
  job_max_ttl: duration('job_ttl').default(4 * 3_600_000),
  /** Renew client certificates this instance presents (client mode) in the background. */
  auto_renew: z.boolean().default(false),
  /** Renew this long before expiry; default: when a third of the lifetime is left. */
  renew_before: duration('renew_before').optional(),
  overlap: duration('overlap').default(5 * DAY),
});

export type AcmeConfig = z.infer<typeof acmeObject>;
