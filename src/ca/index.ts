/** The CA's public surface. */
export { createCertificateAuthority, type CertificateAuthorityOptions } from './authority.js';
export { ttlPolicyFromConfig, certStatus, resolveTtl } from './policy.js';
export { describeCertificate, parseCertificatePem, type CertDetails } from './describe.js';
export { normalizeSerial } from './serial.js';
export * from './types.js';
