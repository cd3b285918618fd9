/*
 * tlsmcp native data path: shared types. One listener per worker thread, run
 * on that thread's libuv loop; one conn per accepted client. The admission
 * decision is never made here: after the handshake the listener calls the
 * worker's JavaScript `admit` synchronously and dials the backend only on yes.
 */
#ifndef TLSMCP_NATIVE_CONN_H
#define TLSMCP_NATIVE_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <node_api.h>
#include <uv.h>
#include <openssl/ssl.h>

#define TM_CHUNK 16384   /* one TLS record of plaintext */
#define TM_BATCH 65536   /* moved per step: up to 4 records read before one send, one recv before up to 4 records written */
#define TM_BUDGET 262144 /* bytes one connection may move per wakeup before the others get their turn */

enum conn_state { ST_HANDSHAKE, ST_DIALING, ST_OPEN, ST_CLOSED };

/* What close_conn reports to JavaScript. */
enum close_kind {
  CK_HANDSHAKE_FAILED, /* refused before admission: reason + detail */
  CK_SILENT,           /* JavaScript refused it and already said so */
  CK_FORWARD_END       /* an admitted connection ended: bytes, dial failure if any */
};

struct pending_buf {
  char *data; /* malloc'ed leftover that the far side could not take yet */
  size_t off, len;
};

struct listener;

/* Session tickets: 16 bytes of key name, 32 of HMAC key, 32 of AES key (SSL_CTX_set_tlsext_ticket_keys). */
#define TICKET_KEYS_LEN 80
/* A resumed session's age limit, as Node's listener (src/core/tls-options.ts SESSION_TIMEOUT_S). */
#define SESSION_TIMEOUT_S 3600

struct conn {
  struct listener *l;
  struct conn *prev, *next; /* in l->pending or l->established */
  uint32_t id;
  enum conn_state state;
  int cfd, bfd;
  SSL *ssl;
  uv_poll_t cpoll, bpoll;
  int cpoll_on, bpoll_on, open_handles;
  int cevents, bevents; /* current poll interest */
  /* Per direction: blocked until one of its wait events (UV_READABLE/UV_WRITABLE on the
   * client and backend socket) fires; a direction not blocked is tried on the next pump. */
  int c2b_blocked, b2c_blocked;
  int c2b_cwait, c2b_bwait, b2c_cwait, b2c_bwait;
  int c_read_err; /* SSL_read failed after a batch was read: close once that batch is forwarded */
  uint64_t accepted_at, handshake_ms, deadline;
  char peer[64];
  struct pending_buf c2b, b2c;
  int c_eof, b_eof;              /* client sent close_notify/FIN; backend sent FIN */
  int b_shut_done, c_shut_done;  /* FIN passed to the backend; close_notify sent to the client */
  int repump_queued;
  uint64_t bytes_in, bytes_out;  /* client->backend, backend->client */
  enum close_kind close_kind;
  char reason[32];
  char detail[200];
  struct conn *repump_next;
};

struct listener {
  napi_env env;
  napi_ref wrapper, admit_fn, event_fn;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup;
  uv_loop_t *loop;
  int lfd;
  int lfd_shared, lfd_group; /* lfd is this listener's dup of a shared-listen.c socket (lfd_group) */
  uv_poll_t lpoll;
  int lpoll_on;
  uv_timer_t sweep;
  uv_idle_t idle;
  int sweep_on, idle_on;
  int accept_paused; /* out of descriptors: the sweep resumes accepting */
  int open_handles; /* listener-level handles not yet closed */
  SSL_CTX *ctx;
  struct verify_cache *vcache; /* client chains ctx verified (verify-cache.c) */
  unsigned char ticket_keys[TICKET_KEYS_LEN]; /* kept across reloads, renewed when trust_digest changes */
  unsigned char trust_digest[32];             /* SHA-256 of the client CAs and CRLs the keys were made for */
  int has_ticket_keys;
  struct sockaddr_storage backend;
  socklen_t backend_len;
  uint64_t handshake_ms, idle_ms, dial_ms;
  uint32_t max_conns;
  char refuse[32]; /* non-empty: refuse new sockets with this reason */
  uint32_t next_id;
  struct conn *pending_head, *pending_tail; /* accept order: head is oldest */
  struct conn *established;
  uint32_t n_pending, n_established, n_conns;
  struct conn *repump_head;
  int closing, finalized, env_teardown;
  char scratch[TM_BATCH];
};

/* conn.c */
void conn_accept(struct listener *l, int fd, const struct sockaddr_storage *addr);
void conn_close(struct conn *c, enum close_kind kind, const char *reason, const char *detail);
void conn_pump(struct conn *c);
void listener_unlink(struct conn *c);

/* listener.c */
void listener_emit(struct listener *l, struct conn *c);
int listener_admit(struct listener *l, struct conn *c, const unsigned char *der, size_t der_len, int resumed);
void listener_maybe_free(struct listener *l);
void listener_queue_repump(struct listener *l, struct conn *c);

#endif
