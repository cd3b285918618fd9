/*
 * The server SSL_CTX of a native listener, from the same PEMs and settings as
 * src/core/tls-options.ts: TLS 1.3 (1.2 only when the spec asks), the
 * spec's suites, the service certificate and chain, the client CAs as trust
 * anchors and CRLs, a client certificate required and verified in the
 * handshake. One stateless session ticket per full handshake (as Node's
 * listener resumes, see src/core/tls-options.ts): its keys are the listener's,
 * kept across a certificate reload and renewed when the trust anchors or CRLs
 * change (addon.c), so no resumed session outlives a trust change; expiry and
 * revocation of a resumed session's certificate are checked by the TypeScript
 * admission, told the session was resumed (OpenSSL does not re-verify it).
 */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include "listener.h"

static void fail(char *error, size_t n, const char *what) {
  unsigned long e = ERR_peek_last_error();
  const char *why = e ? ERR_reason_error_string(e) : NULL;
  snprintf(error, n, "%s%s%s", what, why ? ": " : "", why ? why : "");
  ERR_clear_error();
}

static int load_chain(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio) return 0;
  X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
  int ok = leaf != NULL && SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  X509 *extra;
  while (ok && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) { X509_free(extra); ok = 0; }
  }
  ERR_clear_error(); /* the end of the PEM stream leaves a "no start line" error */
  BIO_free(bio);
  return ok;
}

static int load_key(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio) return 0;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  int ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  return ok;
}

/* Every certificate of the PEM becomes a trust anchor and a name in the CertificateRequest. */
static int load_cas(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio) return 0;
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *ca;
  int n = 0;
  while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_cert(store, ca);
    SSL_CTX_add_client_CA(ctx, ca);
    X509_free(ca);
    n++;
  }
  ERR_clear_error();
  BIO_free(bio);
  return n > 0;
}

static int load_crls(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio) return 0;
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509_CRL *crl;
  int n = 0;
  while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    n++;
  }
  ERR_clear_error();
  BIO_free(bio);
  if (n > 0) X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return n > 0;
}

SSL_CTX *tls_context_new(const char *cert_pem, const char *key_pem, const char *ca_pem, const char *crl_pem, int min_tls12, const char *ciphers, const char *ciphersuites, const unsigned char ticket_keys[TICKET_KEYS_LEN], char *error, size_t error_len) {
  ERR_clear_error();
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) { fail(error, error_len, "SSL_CTX_new failed"); return NULL; }
  SSL_CTX_set_min_proto_version(ctx, min_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  /* No certificate compression (RFC 8879), as Node's listener: offered in the CertificateRequest it
     makes a client zlib-compress its certificate (a Node client spent 1.7 ms more per handshake). */
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_TX_CERTIFICATE_COMPRESSION | SSL_OP_NO_RX_CERTIFICATE_COMPRESSION);
  /* One ticket (OpenSSL's default is two; a client resumes with one), stateless: no server-side cache. */
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_timeout(ctx, SESSION_TIMEOUT_S);
  if (SSL_CTX_set_tlsext_ticket_keys(ctx, (void *)ticket_keys, TICKET_KEYS_LEN) != 1) { fail(error, error_len, "the session ticket keys were not accepted"); goto bad; }
  static const unsigned char sid_ctx[] = "tlsmcp-native";
  SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  /* One read() per record (or several) instead of a 5-byte header read and a body read. */
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  if (ciphersuites && *ciphersuites && SSL_CTX_set_ciphersuites(ctx, ciphersuites) != 1) { fail(error, error_len, "listen.ciphersuites is not accepted by OpenSSL"); goto bad; }
  if (ciphers && *ciphers && SSL_CTX_set_cipher_list(ctx, ciphers) != 1) { fail(error, error_len, "listen.ciphers is not accepted by OpenSSL"); goto bad; }
  if (!load_chain(ctx, cert_pem)) { fail(error, error_len, "the server certificate could not be read"); goto bad; }
  if (!load_key(ctx, key_pem)) { fail(error, error_len, "the server key could not be read or does not match the certificate"); goto bad; }
  if (!load_cas(ctx, ca_pem)) { fail(error, error_len, "no client CA certificate could be read"); goto bad; }
  if (crl_pem && *crl_pem && !load_crls(ctx, crl_pem)) { fail(error, error_len, "a CRL could not be read"); goto bad; }
  /* The chain sent to clients, built once here. Left unset, OpenSSL builds it again in every
     handshake (a full X509_verify_cert of our own certificate: 0.9 M instructions, 16 % of a
     connection). The leaf's issuers found among the PEM's extra certificates and the client CAs,
     without the self-signed root: a client must hold the root already to trust us, so sending it
     only costs bytes and the client's parsing (a Node client turns every certificate sent into an
     object); ghostunnel, haproxy and nginx send what the certificate file holds. A leaf whose
     issuer is not there goes alone. (Node's listener cannot leave the root out: see
     src/core/server-chain.ts.) */
  SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT | SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
  ERR_clear_error();
  return ctx;
bad:
  SSL_CTX_free(ctx);
  return NULL;
}
