/**
 * @peculiar/x509 wired to Node's WebCrypto. The library needs a reflect polyfill
 * and a crypto provider before first use; importing it through here guarantees both.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
