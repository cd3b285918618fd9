/**
 * The walkthrough's flat config keys (`hub_url`, `auth_token`, `tls`,
 * `certificate_policies`). They are accepted as written in that document and
 * mapped onto the canonical keys in `normalize-forms.ts`, so a file copied
 * from the walkthrough loads with the meaning the walkthrough gives it.
 */
import { z } from 'zod';
import { duration, regexString } from './primitives.js';

export const walkthroughTlsObject = z.strictObject({
  /** = listen.protocol */
  protocol: z.enum(['tls13', 'tls12']).optional(),
  /** = mtls.mode; `none` is `disabled`. */
  client_auth: z.enum(['required', 'optional', 'none', 'disabled']).optional(),
  /** TLS 1.3 suite names; = listen.ciphersuites joined with ":". */
  cipher_suites: z.array(z.string().regex(/^TLS_[A-Z0-9_]+$/, 'must be a TLS 1.3 suite name such as TLS_AES_256_GCM_SHA384')).min(1).optional(),
  /** = server_cert.renew_before in days. */
  server_cert_renewal_days: z.number().int().min(1).max(3650).optional(),
});

export const clientPolicyObject = z.strictObject({
  /** = client_cert.min_ttl / client_cert.max_ttl */
  allowed_duration: z.strictObject({ min: duration('cert_ttl').optional(), max: duration('cert_ttl').optional() }).optional(),
  /** = client_cert.auto_renew */
  auto_renew: z.boolean().optional(),
  /** = client_cert.renew_before */
  renewal_before_expiry: duration('renew_before').optional(),
  /** = mtls.required_cn_pattern for every service that sets none. */
  required_cn_pattern: regexString.optional(),
});

export const certificatePoliciesObject = z.strictObject({ client: clientPolicyObject.optional() });

/** Spread into the top-level schema. */
export const walkthroughKeys = {
  hub_url: z.url().optional(),
  auth_token: z.string().min(1).optional(),
  tls: walkthroughTlsObject.optional(),
  certificate_policies: certificatePoliciesObject.optional(),
};
