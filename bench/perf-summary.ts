/**
 * Sums a `perf record -g` profile of a Node proxy into where-the-time-goes
 * buckets: per sample, the first bucket whose marker is on the call chain
 * (most specific first: session tickets, client-certificate verification,
 * signatures, key exchange, the rest of the handshake, the record layer,
 * certificate objects for JavaScript, GC), else a bucket by the leaf symbol
 * (elliptic-curve arithmetic, hashing, ASN.1/decoders, malloc, kernel, JIT
 * code, V8, Node's C++). Used by bench/profile.ts on `perf script` output.
 */

/** Markers on the call chain, most specific first. */
const CHAIN: [string, RegExp][] = [
  ['OpenSSL: session tickets (NewSessionTicket)', /tls_construct_new_session_ticket|construct_stateless_ticket|tls_construct_new_session_ticket/],
  ['OpenSSL: client certificate chain verification (X509_verify_cert)', /X509_verify_cert|ssl_verify_cert_chain/],
  ['OpenSSL: client CertificateVerify (ECDSA verify)', /tls_process_cert_verify/],
  ['OpenSSL: server CertificateVerify (ECDSA sign)', /tls_construct_cert_verify/],
  ['OpenSSL: reading the client certificate (d2i, decoders)', /tls_process_client_certificate/],
  ['OpenSSL: key exchange (key share, derive)', /tls_parse_ctos_key_share|tls_construct_stoc_key_share|ssl_derive|ssl_gensecret|EVP_PKEY_derive|EVP_PKEY_encapsulate|ossl_ml_kem|ossl_x25519|X25519\b/],
  ['OpenSSL: rest of the handshake (state machine, transcript, key schedule)', /ossl_statem_accept|SSL_do_handshake|state_machine|tls13_change_cipher_state|tls13_generate/],
  ['OpenSSL: record layer (SSL_read/SSL_write, AES-GCM)', /SSL_read|SSL_write|ssl3_read_bytes|tls_write_records|ossl_tls_write|tls_read_record|ssl3_write_bytes/],
  ['OpenSSL: SSL object setup/teardown (SSL_new, SSL_free)', /\bSSL_new\b|ossl_ssl_connection_new|SSL_free|ossl_ssl_connection_free/],
  ['Node: peer certificate to JS (X509Certificate, getPeerCertificate)', /X509Certificate|GetPeerX509Certificate|GetPeerCertificate|X509ToObject|crypto::X509/],
  ['V8 GC', /v8::internal::Heap::|Scavenger|MarkCompact|ConcurrentMarking|MinorMarkSweep|v8::internal::GCTracer/],
];

/** Buckets by the leaf symbol when no chain marker matched. */
const LEAF: [string, RegExp][] = [
  ['leaf: EC arithmetic (P-256, X25519, ML-KEM)', /nistz256|ecp_|fe_|x25519|fe51|ml_kem|mlkem|bn_|BN_/],
  ['leaf: hashing, AES', /sha|aes|gcm|ghash|SHA|keccak|KECCAK/],
  ['leaf: ASN.1, decoders, providers, EVP plumbing', /asn1|ASN1|d2i|i2d|decoder|DECODER|OSSL_PARAM|ossl_|evp_|EVP_|X509|x509|CRYPTO_|ossl_lib_ctx|property|OPENSSL_|BIO_|ERR_|OBJ_/],
  ['leaf: malloc/free, memcpy', /malloc|free|_int_|memcpy|memmove|memset|unlink_chunk|calloc|realloc|tcache/],
  ['leaf: kernel', /\[k\]|kallsyms/],
  ['leaf: JavaScript (JIT code, V8 builtins)', /^JS:|Builtins_|\[JIT\]|perf-\d+\.map/],
  ['leaf: V8 runtime, compiler, IC', /v8::|Runtime_|v8_|Turbofan|Maglev/],
  ['leaf: Node C++ and libuv', /node::|uv_|uv__/],
  ['leaf: libc other', /libc/],
];

export interface PerfBuckets {
  samples: number;
  buckets: [string, number][];
  leaves: [string, number][];
}

/** Parses `perf script -F tid,ip,sym,dso` text (a header line per sample, then one frame per line). */
export function summarizePerfScript(text: string): PerfBuckets {
  const buckets = new Map<string, number>();
  const leaves = new Map<string, number>();
  let samples = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const frames = block.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    if (frames.length === 0) continue;
    samples += 1;
    const chain = frames.join('\n');
    const leaf = frames[0]!.replace(/^[0-9a-f]+\s+/, '');
    leaves.set(leaf, (leaves.get(leaf) ?? 0) + 1);
    const bucket = CHAIN.find(([, re]) => re.test(chain))?.[0] ?? LEAF.find(([, re]) => re.test(leaf))?.[0] ?? 'other';
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { samples, buckets: sorted(buckets), leaves: sorted(leaves) };
}
