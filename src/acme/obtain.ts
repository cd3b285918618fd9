/**
 * Obtains one certificate from an ACME CA (Let's Encrypt, or Pebble in tests)
 * with `acme-client`: account key from the state dir, a fresh ECDSA P-256
 * certificate key; HTTP-01 answered by our responder for the order's lifetime,
 * TLS-ALPN-01 by the challenge certificates handed to `alpn` (./tls-alpn-responder.ts).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { AcmeConfig } from '../config/schema-cert.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { startHttp01Responder, type Http01Responder } from './http01-responder.js';
import type { AlpnChallengeSink } from './tls-alpn-responder.js';

export interface ObtainOptions {
  acme: AcmeConfig;
  accountKeyPem: string;
  /** The account's URL from an earlier order with this key and directory: no second registration. */
  accountUrl?: string | undefined;
  domains: string[];
  logger: Logger;
  /** tls-alpn-01: where the challenge certificates go (the running listener, or a standalone one). */
  alpn?: AlpnChallengeSink | undefined;
}

export interface ObtainedCertificate {
  /** Leaf first, then the chain, as the CA sent it. */
  certPem: string;
  keyPem: string;
  accountUrl: string;
}

/**
 * acme-client talks HTTP through one shared axios instance: the directory's
 * extra CA (ca_file) is set there, beside the system roots. One ACME directory
 * per process is the only case tlsmcp has.
 */
function trustDirectoryCa(caFile: string | undefined): void {
  if (!caFile) return;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_CONFIG_INVALID', `server_cert.acme.ca_file ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, pem] });
}

export async function obtainCertificate(options: ObtainOptions): Promise<ObtainedCertificate> {
  const { acme: cfg, domains, logger } = options;
  const alpn = options.alpn;
  if (cfg.challenge === 'tls-alpn-01' && !alpn) {
    throw new TlsmcpError('ERR_INTERNAL', 'tls-alpn-01 needs a listener to answer on', { fix: 'report this as a bug' });
  }
  trustDirectoryCa(cfg.ca_file);
  const client = new acme.Client({
    directoryUrl: cfg.directory_url,
    accountKey: options.accountKeyPem,
    ...(options.accountUrl ? { accountUrl: options.accountUrl } : {}),
    backoffAttempts: 10,
    backoffMin: 200,
    backoffMax: 5_000,
  });
  const certKey = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: domains[0]!, altNames: domains }, certKey);
  const responder: Http01Responder | undefined = cfg.challenge === 'http-01' ? await startHttp01Responder(cfg.http_port) : undefined;
  try {
    const certPem = await client.auto({
      csr,
      ...(cfg.email ? { email: cfg.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: [cfg.challenge],
      // The CA validates; our own pre-check would need the public DNS view of the name.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        logger.info({ event: 'acme_challenge', type: challenge.type, domain: authz.identifier.value }, `answering ${challenge.type} for ${authz.identifier.value}`);
        if (cfg.challenge === 'tls-alpn-01') {
          const [key, cert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
          await alpn!.set(authz.identifier.value, cert.toString(), key.toString());
        } else {
          responder?.set(challenge.token, keyAuthorization);
        }
      },
      challengeRemoveFn: async (authz, challenge) => {
        if (cfg.challenge === 'tls-alpn-01') await alpn!.delete(authz.identifier.value);
        else responder?.delete(challenge.token);
      },
    });
    return { certPem, keyPem: certKey.toString(), accountUrl: client.getAccountUrl() };
  } finally {
    await responder?.close();
  }
}
