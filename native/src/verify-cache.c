/*
 * Chain verification of client certificates, remembered per TLS context.
 *
 * Verifying a client's chain (X509_verify_cert) is a pure function of the
 * certificates the client sent, the context's trust anchors, its verification
 * settings and the time; all but the time are fixed for an SSL_CTX's life (a
 * reload or a trust change builds a new one). So the same certificates seen
 * again on the same context need only the time checked again: a SHA-256 over
 * what the client sent maps to the validity window of the chain that verified
 * it (latest notBefore, earliest notAfter).
 * It is what a client reconnecting with the same certificate costs: one ECDSA
 * verification and the chain walk (0.9 M instructions, a fifth of a new
 * connection by bench/native-callgrind.ts) saved per handshake.
 *
 * What still happens in every handshake: parsing the certificate, the proof
 * that the client holds its key (CertificateVerify), and after the handshake
 * the TypeScript admission (revocation by serial, identity policy). Only
 * successes are remembered; failures are verified every time and keep their
 * OpenSSL reason. A context with CRLs is not given the cache (a CRL has a time
 * window of its own). Entries belong to one context: a handshake still running
 * on the context a reload replaced is verified in full. Fixed size,
 * direct-mapped: more certificates than slots only means some verify in full.
 *
 * The cache is the listener's (freed with it, after its last connection), not
 * the SSL_CTX's: SSL_CTX ex_data would register a free callback in OpenSSL's
 * process-wide table that outlives this library when a worker unloads it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include "verify-cache.h"

#define SLOTS 1024 /* 48 KB per listener */

typedef struct {
  unsigned char digest[32];
  time_t not_before;
  time_t not_after;
} slot_t;

struct verify_cache {
  SSL_CTX *current; /* the only context whose handshakes read and fill the slots */
  int filled;       /* a slot was written: clear before the next context (untouched, the calloc'ed pages stay unmapped) */
  slot_t slots[SLOTS];
};

struct verify_cache *verify_cache_new(void) {
  return calloc(1, sizeof(struct verify_cache));
}

void verify_cache_free(struct verify_cache *cache) {
  free(cache);
}

/* Seconds since the epoch of an ASN1_TIME, through its distance from now (no timegm needed). */
static int epoch_of(const ASN1_TIME *t, time_t now, time_t *out) {
  int days = 0, secs = 0;
  if (!t || ASN1_TIME_diff(&days, &secs, NULL, t) != 1) return 0;
  *out = now + (time_t)days * 86400 + secs;
  return 1;
}

static slot_t *slot_for(struct verify_cache *cache, const unsigned char *digest) {
  unsigned int h;
  memcpy(&h, digest, sizeof h);
  return &cache->slots[h % SLOTS];
}

/* The chain's validity window; 0 when a time cannot be read (then nothing is remembered). */
static int window_of(STACK_OF(X509) *chain, time_t now, time_t *not_before, time_t *not_after) {
  int n = chain ? sk_X509_num(chain) : 0;
  for (int i = 0; i < n; i++) {
    X509 *c = sk_X509_value(chain, i);
    time_t nb, na;
    if (!epoch_of(X509_get0_notBefore(c), now, &nb) || !epoch_of(X509_get0_notAfter(c), now, &na)) return 0;
    if (i == 0 || nb > *not_before) *not_before = nb;
    if (i == 0 || na < *not_after) *not_after = na;
  }
  return n > 0;
}

/* The key: SHA-256 over the SHA-256 of each certificate the client sent (its leaf first), so a
   remembered verdict is for exactly what this client presented, intermediates included. */
static int key_of(X509_STORE_CTX *xs, unsigned char out[32]) {
  X509 *leaf = X509_STORE_CTX_get0_cert(xs);
  STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(xs);
  if (!leaf) return 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  int n = sent ? sk_X509_num(sent) : 0;
  for (int i = -1; ok && i < n; i++) {
    X509 *c = i < 0 ? leaf : sk_X509_value(sent, i);
    unsigned char d[32];
    unsigned int len = 0;
    ok = X509_digest(c, EVP_sha256(), d, &len) == 1 && len == sizeof d && EVP_DigestUpdate(md, d, sizeof d) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

static int verify(X509_STORE_CTX *xs, void *arg) {
  struct verify_cache *cache = arg;
  SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
  unsigned char digest[32];
  time_t now = time(NULL);
  int usable = ssl && SSL_get_SSL_CTX(ssl) == cache->current && key_of(xs, digest);
  if (usable) {
    slot_t *s = slot_for(cache, digest);
    if (memcmp(s->digest, digest, sizeof digest) == 0 && now >= s->not_before && now <= s->not_after) {
      X509_STORE_CTX_set_error(xs, X509_V_OK);
      return 1;
    }
  }
  int ok = X509_verify_cert(xs);
  time_t not_before = 0, not_after = 0;
  if (ok == 1 && usable && window_of(X509_STORE_CTX_get0_chain(xs), now, &not_before, &not_after)) {
    slot_t *s = slot_for(cache, digest);
    memcpy(s->digest, digest, sizeof digest);
    s->not_before = not_before;
    s->not_after = not_after;
    cache->filled = 1;
  }
  return ok;
}

void verify_cache_use(struct verify_cache *cache, SSL_CTX *ctx) {
  cache->current = ctx;
  if (cache->filled) memset(cache->slots, 0, sizeof cache->slots);
  cache->filled = 0;
  if (ctx) SSL_CTX_set_cert_verify_callback(ctx, verify, cache);
}
