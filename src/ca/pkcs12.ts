/** PKCS#12 bundles (`--p12`): placeholder until the cert CLI work lands. */
import { TlsmcpError } from '../errors.js';

export interface Pkcs12Input {
  certPem: string;
  keyPem: string;
  caPem: string;
  password: string;
}

export async function writePkcs12(_path: string, _input: Pkcs12Input): Promise<void> {
  throw new TlsmcpError('ERR_NOT_IMPLEMENTED', '--p12 is not implemented yet');
}
