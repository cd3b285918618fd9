import { describe, expect, it } from 'vitest';
import { listenerFor } from '../../../src/proxy/listener-kind.js';

describe('listenerFor', () => {
  it('picks one listener per spec: native data path, client mode, HTTP mode, else the TCP pipe', () => {
    expect(listenerFor({ mode: 'server', data_path: 'native', http: undefined })).toBe('native');
    expect(listenerFor({ mode: 'client', data_path: 'js', http: undefined })).toBe('client');
    expect(listenerFor({ mode: 'server', data_path: 'js', http: { xfcc: ['hash'] } as never })).toBe('http');
    expect(listenerFor({ mode: 'server', data_path: 'js', http: undefined })).toBe('server');
    expect(listenerFor({ mode: 'server', data_path: undefined, http: undefined } as never)).toBe('server');
  });
});
