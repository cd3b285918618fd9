/**
 * Obtains one certificate from an ACME CA (Let's Encrypt, or Pebble in tests)
 * with `acme-client`: account key from the state dir, a fresh ECDSA P-256
 * certificate key, HTTP-01 answered by our responder for the order's lifetime.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { AcmeConfig } from '../config/schema-cert.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { startHttp01Responder } from './http01-responder.js';

export interface ObtainOptions {
  acme: AcmeConfig;
  accountKeyPem: string;
  /** The account's URL from an earlier order with this key and directory: no second registration. */
  accountUrl?: string | undefined;
  domains: string[];
  logger: Logger;
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
  if (cfg.challenge !== 'http-01') {
    throw new TlsmcpError('ERR_NOT_IMPLEMENTED', `server_cert.acme.challenge ${cfg.challenge} is not built yet`, { fix: 'use challenge: http-01 (with http_port reachable by the CA)' });
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
  const responder = await startHttp01Responder(cfg.http_port);
  try {
    const certPem = await client.auto({
      csr,
      ...(cfg.email ? { email: cfg.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA validates; our own pre-check would need the public DNS view of the name.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        logger.info({ event: 'acme_challenge', type: challenge.type, domain: authz.identifier.value }, `answering ${challenge.type} for ${authz.identifier.value}`);
        responder.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        responder.delete(challenge.token);
      },
    });
    return { certPem, keyPem: certKey.toString(), accountUrl: client.getAccountUrl() };
  } finally {
    await responder.close();
  }
}
