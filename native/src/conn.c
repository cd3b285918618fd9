/*
 * One client connection: TLS handshake on a nonblocking socket driven by
 * uv_poll, the synchronous admission call into JavaScript, a nonblocking dial
 * of the backend, then forwarding both ways with backpressure (a side is read
 * only while the other has taken everything read before) and half-close
 * passed through (close_notify/FIN). Every exit goes through conn_close, which
 * frees the socket, the SSL and the memory once libuv has closed the handles.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "conn.h"
#include "listener.h"

#define PUMP_ROUNDS 32 /* then yield to other connections and continue on the next loop turn */

static void set_detail(struct conn *c, const char *reason, const char *detail) {
  snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "");
  snprintf(c->detail, sizeof c->detail, "%s", detail ? detail : "");
}

static void on_handle_closed(uv_handle_t *h) {
  struct conn *c = h->data;
  if (--c->open_handles > 0) return;
  struct listener *l = c->l;
  if (c->cfd >= 0) close(c->cfd);
  if (c->bfd >= 0) close(c->bfd);
  listener_forget(l, c);
  listener_emit(l, c);
  if (c->ssl) SSL_free(c->ssl);
  free(c->c2b.data);
  free(c->b2c.data);
  free(c);
  l->n_conns--;
  listener_maybe_free(l);
}

void listener_unlink(struct conn *c) {
  struct listener *l = c->l;
  if (c->state == ST_HANDSHAKE) {
    if (c->prev) c->prev->next = c->next; else l->pending_head = c->next;
    if (c->next) c->next->prev = c->prev; else l->pending_tail = c->prev;
    l->n_pending--;
  } else {
    if (c->prev) c->prev->next = c->next; else l->established = c->next;
    if (c->next) c->next->prev = c->prev;
    l->n_established--;
  }
  c->prev = c->next = NULL;
}

void conn_close(struct conn *c, enum close_kind kind, const char *reason, const char *detail) {
  if (c->state == ST_CLOSED) return;
  listener_unlink(c);
  c->state = ST_CLOSED;
  c->close_kind = kind;
  if (reason || detail) set_detail(c, reason, detail);
  /* Handles first: libuv must not poll a closed descriptor. The fds close in the callback. */
  uv_close((uv_handle_t *)&c->cpoll, on_handle_closed);
  if (c->bpoll_on) uv_close((uv_handle_t *)&c->bpoll, on_handle_closed);
}

static void on_client_io(uv_poll_t *h, int status, int events);
static void on_backend_io(uv_poll_t *h, int status, int events);

static void want(struct conn *c, int cev, int bev) {
  if (c->state == ST_CLOSED) return;
  if (cev != c->cevents) {
    c->cevents = cev;
    if (cev) uv_poll_start(&c->cpoll, cev, on_client_io); else uv_poll_stop(&c->cpoll);
  }
  if (c->bpoll_on && bev != c->bevents) {
    c->bevents = bev;
    if (bev) uv_poll_start(&c->bpoll, bev, on_backend_io); else uv_poll_stop(&c->bpoll);
  }
}

static void peer_string(const struct sockaddr_storage *a, char *out, size_t n) {
  char host[INET6_ADDRSTRLEN] = "";
  if (a->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, host, sizeof host);
  else if (a->ss_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, host, sizeof host);
  snprintf(out, n, "%s", host);
}

static void handshake(struct conn *c);

void conn_accept(struct listener *l, int fd, const struct sockaddr_storage *addr) {
  struct conn *c = calloc(1, sizeof *c);
  if (!c) { close(fd); return; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->l = l;
  c->id = ++l->next_id;
  if (c->id == 0) c->id = ++l->next_id;
  c->cfd = fd;
  c->bfd = -1;
  c->state = ST_HANDSHAKE;
  peer_string(addr, c->peer, sizeof c->peer);
  c->accepted_at = uv_now(l->loop);
  c->deadline = c->accepted_at + l->handshake_ms;
  c->ssl = SSL_new(l->ctx);
  if (!c->ssl || uv_poll_init_socket(l->loop, &c->cpoll, fd) != 0) {
    if (c->ssl) SSL_free(c->ssl);
    free(c);
    close(fd);
    return;
  }
  c->cpoll.data = c;
  c->cpoll_on = 1;
  c->open_handles = 1;
  l->n_conns++;
  SSL_set_fd(c->ssl, fd);
  SSL_set_accept_state(c->ssl);
  /* pending list, accept order */
  c->prev = l->pending_tail;
  if (l->pending_tail) l->pending_tail->next = c; else l->pending_head = c;
  l->pending_tail = c;
  l->n_pending++;
  handshake(c);
}

/* Node's names for the verify results (tls.TLSSocket#authorizationError), so reasons map the same. */
static const char *verify_code(long v) {
  switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return "CERT_HAS_EXPIRED";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "CERT_NOT_YET_VALID";
    case X509_V_ERR_INVALID_PURPOSE: return "INVALID_PURPOSE";
    case X509_V_ERR_CERT_REVOKED: return "CERT_REVOKED";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: return "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "UNABLE_TO_VERIFY_LEAF_SIGNATURE";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "DEPTH_ZERO_SELF_SIGNED_CERT";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "SELF_SIGNED_CERT_IN_CHAIN";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE: return "CERT_SIGNATURE_FAILURE";
    case X509_V_ERR_UNABLE_TO_GET_CRL: return "UNABLE_TO_GET_CRL";
    default: return "UNSPECIFIED";
  }
}

static void handshake_failed(struct conn *c, int err) {
  char detail[200];
  long verify = SSL_get_verify_result(c->ssl);
  unsigned long e = ERR_peek_error();
  if (verify != X509_V_OK) {
    snprintf(detail, sizeof detail, "%s", verify_code(verify));
    ERR_clear_error();
    conn_close(c, CK_HANDSHAKE_FAILED, "verify", detail);
    return;
  }
  if (e != 0 && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    ERR_clear_error();
    conn_close(c, CK_HANDSHAKE_FAILED, "no_certificate", "no client certificate (mtls.mode is required)");
    return;
  }
  if (e != 0) {
    const char *r = ERR_reason_error_string(e);
    snprintf(detail, sizeof detail, "TLS handshake failed: %s", r ? r : "unknown error");
  } else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN) {
    snprintf(detail, sizeof detail, "TLS handshake failed: the client closed the connection");
  } else {
    snprintf(detail, sizeof detail, "TLS handshake failed: error %d", err);
  }
  ERR_clear_error();
  conn_close(c, CK_HANDSHAKE_FAILED, "tls_handshake", detail);
}

static void dial(struct conn *c);

static void handshake(struct conn *c) {
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    struct listener *l = c->l;
    c->handshake_ms = uv_now(l->loop) - c->accepted_at;
    X509 *cert = SSL_get0_peer_certificate(c->ssl);
    unsigned char *der = NULL;
    int der_len = cert ? i2d_X509(cert, &der) : -1;
    /* established from here on (admission counts against max_connections like Node's listener) */
    listener_unlink(c);
    c->state = ST_DIALING;
    c->next = l->established;
    if (l->established) l->established->prev = c;
    l->established = c;
    l->n_established++;
    int allow = der_len > 0 && listener_admit(l, c, der, (size_t)der_len);
    OPENSSL_free(der);
    if (c->state == ST_CLOSED) return; /* cut while JavaScript ran */
    if (!allow) {
      conn_close(c, CK_SILENT, NULL, NULL);
      return;
    }
    dial(c);
    return;
  }
  int err = SSL_get_error(c->ssl, r);
  if (err == SSL_ERROR_WANT_READ) want(c, UV_READABLE, 0);
  else if (err == SSL_ERROR_WANT_WRITE) want(c, UV_WRITABLE, 0);
  else handshake_failed(c, err);
}

static void dial_failed(struct conn *c, const char *why) {
  char host[INET6_ADDRSTRLEN] = "";
  int port = 0;
  const struct sockaddr_storage *a = &c->l->backend;
  if (a->ss_family == AF_INET) { inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, host, sizeof host); port = ntohs(((const struct sockaddr_in *)a)->sin_port); }
  else { inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, host, sizeof host); port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port); }
  char detail[200];
  snprintf(detail, sizeof detail, "backend %s:%d %s", host, port, why);
  conn_close(c, CK_FORWARD_END, "backend_dial_failed", detail);
}

static void dial(struct conn *c) {
  struct listener *l = c->l;
  int fd = socket(l->backend.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { dial_failed(c, strerror(errno)); return; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->bfd = fd;
  if (uv_poll_init_socket(l->loop, &c->bpoll, fd) != 0) { dial_failed(c, "could not be polled"); return; }
  c->bpoll.data = c;
  c->bpoll_on = 1;
  c->open_handles++;
  c->deadline = uv_now(l->loop) + l->dial_ms;
  if (connect(fd, (struct sockaddr *)&l->backend, l->backend_len) != 0 && errno != EINPROGRESS) {
    char why[120];
    snprintf(why, sizeof why, "unreachable: %s", strerror(errno));
    dial_failed(c, why);
    return;
  }
  /* Client bytes wait in the kernel (and OpenSSL) until the backend answers. */
  want(c, 0, UV_WRITABLE);
}

static void dial_done(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    char why[120];
    snprintf(why, sizeof why, "unreachable: %s", strerror(err));
    dial_failed(c, why);
    return;
  }
  c->state = ST_OPEN;
  c->deadline = uv_now(c->l->loop) + c->l->idle_ms;
  conn_pump(c);
}

/* Keeps what the far side could not take yet; the next write retries with the same bytes. */
static int keep(struct pending_buf *p, const char *data, size_t len) {
  if (p->data == NULL) {
    p->data = malloc(TM_CHUNK);
    if (!p->data) return -1;
  }
  memmove(p->data, data, len);
  p->off = 0;
  p->len = len;
  return 0;
}

static void drop(struct pending_buf *p) {
  free(p->data);
  p->data = NULL;
  p->off = p->len = 0;
}

/* Client -> backend: one step. Returns 1 on progress, 0 when blocked, -1 when the connection closed. */
static int step_c2b(struct conn *c, int *cev, int *bev) {
  struct listener *l = c->l;
  if (c->c2b.len > 0) {
    ssize_t n = send(c->bfd, c->c2b.data + c->c2b.off, c->c2b.len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) { *bev |= UV_WRITABLE; return 0; }
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      return -1;
    }
    c->bytes_in += (uint64_t)n;
    c->c2b.off += (size_t)n;
    c->c2b.len -= (size_t)n;
    if (c->c2b.len == 0) drop(&c->c2b);
    return 1;
  }
  if (c->c_eof) {
    if (!c->b_shut_done) {
      shutdown(c->bfd, SHUT_WR);
      c->b_shut_done = 1;
      return 1;
    }
    return 0;
  }
  ERR_clear_error();
  int r = SSL_read(c->ssl, l->scratch, TM_CHUNK);
  if (r <= 0) {
    int err = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ) { *cev |= UV_READABLE; return 0; }
    if (err == SSL_ERROR_WANT_WRITE) { *cev |= UV_WRITABLE; return 0; }
    if (err == SSL_ERROR_ZERO_RETURN) { c->c_eof = 1; return 1; }
    conn_close(c, CK_FORWARD_END, NULL, NULL);
    return -1;
  }
  ssize_t n = send(c->bfd, l->scratch, (size_t)r, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) { conn_close(c, CK_FORWARD_END, NULL, NULL); return -1; }
    n = 0;
  }
  c->bytes_in += (uint64_t)n;
  if ((size_t)n < (size_t)r) {
    if (keep(&c->c2b, l->scratch + n, (size_t)r - (size_t)n) != 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return -1; }
    *bev |= UV_WRITABLE;
  }
  return 1;
}

/* Backend -> client: one step, same contract. */
static int step_b2c(struct conn *c, int *cev, int *bev) {
  struct listener *l = c->l;
  const char *data;
  size_t len;
  int from_scratch = 0;
  if (c->b2c.len > 0) {
    data = c->b2c.data + c->b2c.off;
    len = c->b2c.len;
  } else if (c->b_eof) {
    if (!c->c_shut_done) {
      ERR_clear_error();
      int r = SSL_shutdown(c->ssl);
      if (r < 0) {
        int err = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_WRITE) { *cev |= UV_WRITABLE; return 0; }
        if (err == SSL_ERROR_WANT_READ) { *cev |= UV_READABLE; return 0; }
        conn_close(c, CK_FORWARD_END, NULL, NULL);
        return -1;
      }
      shutdown(c->cfd, SHUT_WR);
      c->c_shut_done = 1;
      return 1;
    }
    return 0;
  } else {
    ssize_t n = recv(c->bfd, l->scratch, TM_CHUNK, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) { *bev |= UV_READABLE; return 0; }
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      return -1;
    }
    if (n == 0) { c->b_eof = 1; return 1; }
    data = l->scratch;
    len = (size_t)n;
    from_scratch = 1;
  }
  ERR_clear_error();
  int r = SSL_write(c->ssl, data, (int)len);
  if (r <= 0) {
    int err = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) { conn_close(c, CK_FORWARD_END, NULL, NULL); return -1; }
    *cev |= err == SSL_ERROR_WANT_WRITE ? UV_WRITABLE : UV_READABLE;
    r = 0;
  }
  c->bytes_out += (uint64_t)r;
  if (from_scratch) {
    if ((size_t)r < len) {
      if (keep(&c->b2c, data + r, len - (size_t)r) != 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return -1; }
      *cev |= UV_WRITABLE;
    }
  } else {
    c->b2c.off += (size_t)r;
    c->b2c.len -= (size_t)r;
    if (c->b2c.len == 0) drop(&c->b2c);
  }
  return r > 0 || from_scratch;
}

void conn_pump(struct conn *c) {
  if (c->state != ST_OPEN) return;
  int cev = 0, bev = 0, progress = 0;
  for (int round = 0; round < PUMP_ROUNDS; round++) {
    cev = bev = 0;
    int a = step_c2b(c, &cev, &bev);
    if (a < 0) return;
    int b = step_b2c(c, &cev, &bev);
    if (b < 0) return;
    progress |= a | b;
    if (!a && !b) {
      if (progress) c->deadline = uv_now(c->l->loop) + c->l->idle_ms;
      if (c->c_eof && c->b_eof && c->b_shut_done && c->c_shut_done && c->c2b.len == 0 && c->b2c.len == 0) {
        conn_close(c, CK_FORWARD_END, NULL, NULL);
        return;
      }
      want(c, cev, bev);
      return;
    }
  }
  /* Still moving: let other connections run, then carry on (OpenSSL may hold bytes the poll cannot see). */
  c->deadline = uv_now(c->l->loop) + c->l->idle_ms;
  want(c, cev, bev);
  listener_queue_repump(c->l, c);
}

static void on_client_io(uv_poll_t *h, int status, int events) {
  (void)events;
  struct conn *c = h->data;
  if (c->state == ST_CLOSED) return;
  if (status < 0) {
    if (c->state == ST_HANDSHAKE) conn_close(c, CK_HANDSHAKE_FAILED, "tls_handshake", "TLS handshake failed: socket error");
    else conn_close(c, CK_FORWARD_END, NULL, NULL);
    return;
  }
  if (c->state == ST_HANDSHAKE) handshake(c);
  else if (c->state == ST_OPEN) conn_pump(c);
}

static void on_backend_io(uv_poll_t *h, int status, int events) {
  (void)events;
  struct conn *c = h->data;
  if (c->state == ST_CLOSED) return;
  if (c->state == ST_DIALING) {
    if (status < 0) { dial_failed(c, "unreachable"); return; }
    dial_done(c);
    return;
  }
  if (status < 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return; }
  conn_pump(c);
}
