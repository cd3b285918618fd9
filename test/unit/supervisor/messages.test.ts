import { describe, expect, it } from 'vitest';
import { fromWorkerSchema, toWorkerSchema } from '../../../src/protocol/messages.js';

describe('supervisor ↔ worker messages', () => {
  it('accepts well-formed messages each way', () => {
    expect(toWorkerSchema.parse({ type: 'revoke', id: 1, serials: ['ab'] })).toEqual({ type: 'revoke', id: 1, serials: ['ab'] });
    expect(fromWorkerSchema.parse({ type: 'ready', address: { host: '127.0.0.1', port: 8443 } }).type).toBe('ready');
  });

  it('refuses unknown types and missing fields', () => {
    expect(toWorkerSchema.safeParse({ type: 'explode' }).success).toBe(false);
    expect(toWorkerSchema.safeParse({ type: 'revoke', id: 1 }).success).toBe(false);
    expect(fromWorkerSchema.safeParse({ type: 'ready', address: { host: 'x', port: 70000 } }).success).toBe(false);
  });
});
