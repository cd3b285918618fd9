/* The listener's life, called from the Node-API surface (addon.c). */
#ifndef TLSMCP_NATIVE_LISTENER_H
#define TLSMCP_NATIVE_LISTENER_H
#include "conn.h"
#include "verify-cache.h"

int listener_init_handles(struct listener *l);
int listener_bind(struct listener *l, const char *host, int port, int reuse_port, int *bound_port);
void listener_arm_sweep(struct listener *l);
void listener_stop_accepting(struct listener *l);
void listener_close(struct listener *l);
void listener_forget(struct listener *l, struct conn *c);

/* tls-context.c: a new server SSL_CTX, or NULL with the reason in `error`. */
SSL_CTX *tls_context_new(const char *cert_pem, const char *key_pem, const char *ca_pem, const char *crl_pem, int min_tls12, const char *ciphers, const char *ciphersuites, const unsigned char ticket_keys[TICKET_KEYS_LEN], char *error, size_t error_len);
#endif
