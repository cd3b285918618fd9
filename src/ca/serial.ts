/**
 * Serial numbers: random, positive, with 128 bits of entropy (CA/B Forum asks
 * for at least 64), hex-encoded the way the inventory stores them.
 */
import { randomBytes } from 'node:crypto';

export function randomSerial(): string {
  // A leading byte in 0x01-0x7f keeps the DER INTEGER positive and of fixed length.
  const lead = (randomBytes(1)[0]! % 0x7f) + 1;
  return Buffer.concat([Buffer.from([lead]), randomBytes(16)]).toString('hex');
}

/** Lowercase hex without separators or leading zero bytes: "0A:1b" → "0a1b", "00ff" → "ff". */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/[:\s]/g, '').toLowerCase();
  return hex.replace(/^(00)+(?=[0-9a-f]{2})/, '');
}
