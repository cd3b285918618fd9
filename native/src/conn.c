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
    int allow = der_len > 0 && listener_admit(l, c, der, (size_t)der_len, SSL_session_reused(c->ssl));
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
  free(p->data);
  p->data = malloc(len);
  if (!p->data) return -1;
  memcpy(p->data, data, len);
  p->off = 0;
  p->len = len;
  return 0;
}

static void drop(struct pending_buf *p) {
  free(p->data);
  p->data = NULL;
  p->off = p->len = 0;
}

/*
 * A step moves one batch in one direction. It returns -1 when the connection
 * closed, 0 when blocked without progress, 1 when it made progress and is now
 * blocked, 2 when it made progress and may go on. When blocked, *cev and *bev
 * hold the events (client, backend socket) that can unblock it.
 */
enum { STEP_CLOSED = -1, STEP_BLOCKED = 0, STEP_MOVED_BLOCKED = 1, STEP_MOVED = 2 };

/* Sends what the backend can take now; keeps the rest. 1 when all went, 0 when some is kept, -1 on error. */
static int send_backend(struct conn *c, const char *data, size_t len) {
  ssize_t n = send(c->bfd, data, len, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    n = 0;
  }
  c->bytes_in += (uint64_t)n;
  if ((size_t)n == len) return 1;
  return keep(&c->c2b, data + n, len - (size_t)n) == 0 ? 0 : -1;
}

/* Client -> backend: SSL_read up to TM_BATCH (one record per call), then one send. */
static int step_c2b(struct conn *c, int *cev, int *bev) {
  struct listener *l = c->l;
  if (c->c2b.len > 0) {
    ssize_t n = send(c->bfd, c->c2b.data + c->c2b.off, c->c2b.len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) { *bev |= UV_WRITABLE; return STEP_BLOCKED; }
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      return STEP_CLOSED;
    }
    c->bytes_in += (uint64_t)n;
    c->c2b.off += (size_t)n;
    c->c2b.len -= (size_t)n;
    if (c->c2b.len == 0) drop(&c->c2b);
    return STEP_MOVED;
  }
  if (c->c_read_err) {
    conn_close(c, CK_FORWARD_END, NULL, NULL);
    return STEP_CLOSED;
  }
  if (c->c_eof) {
    if (!c->b_shut_done) {
      shutdown(c->bfd, SHUT_WR);
      c->b_shut_done = 1;
      return STEP_MOVED;
    }
    return STEP_BLOCKED;
  }
  size_t got = 0;
  int wait_c = 0, more = 1;
  while (got + TM_CHUNK <= TM_BATCH) {
    ERR_clear_error();
    int r = SSL_read(c->ssl, l->scratch + got, (int)(TM_BATCH - got));
    if (r > 0) {
      got += (size_t)r;
      /* A short record with nothing behind it in OpenSSL's buffer (read_ahead): the client is
       * most likely waiting for an answer, so wait for the poll rather than try a read that
       * would only say EAGAIN (if more did come, the level-triggered poll reports it at once). */
      if (r < TM_CHUNK && !SSL_has_pending(c->ssl)) { wait_c = UV_READABLE; more = 0; break; }
      continue;
    }
    int err = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ) { wait_c = UV_READABLE; more = 0; break; }
    if (err == SSL_ERROR_WANT_WRITE) { wait_c = UV_WRITABLE; more = 0; break; }
    if (err == SSL_ERROR_ZERO_RETURN) { c->c_eof = 1; break; }
    if (got == 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return STEP_CLOSED; }
    c->c_read_err = 1; /* forward what came before the failure, then close */
    break;
  }
  if (got == 0) {
    if (wait_c) { *cev |= wait_c; return STEP_BLOCKED; }
    return STEP_MOVED; /* close_notify: the next step passes the FIN on */
  }
  int sent = send_backend(c, l->scratch, got);
  if (sent < 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return STEP_CLOSED; }
  if (sent == 0) { *bev |= UV_WRITABLE; return STEP_MOVED_BLOCKED; }
  if (more) return STEP_MOVED;
  *cev |= wait_c;
  return STEP_MOVED_BLOCKED;
}

/* Backend -> client: one recv of up to TM_BATCH, SSL_write record by record (partial writes). */
static int step_b2c(struct conn *c, int *cev, int *bev) {
  struct listener *l = c->l;
  const char *data;
  size_t len;
  int from_scratch = 0, drained = 0;
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
        if (err == SSL_ERROR_WANT_WRITE) { *cev |= UV_WRITABLE; return STEP_BLOCKED; }
        if (err == SSL_ERROR_WANT_READ) { *cev |= UV_READABLE; return STEP_BLOCKED; }
        conn_close(c, CK_FORWARD_END, NULL, NULL);
        return STEP_CLOSED;
      }
      shutdown(c->cfd, SHUT_WR);
      c->c_shut_done = 1;
      return STEP_MOVED;
    }
    return STEP_BLOCKED;
  } else {
    ssize_t n = recv(c->bfd, l->scratch, TM_BATCH, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) { *bev |= UV_READABLE; return STEP_BLOCKED; }
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      return STEP_CLOSED;
    }
    if (n == 0) { c->b_eof = 1; return STEP_MOVED; }
    data = l->scratch;
    len = (size_t)n;
    from_scratch = 1;
    /* A short read emptied the socket: wait for the poll rather than try a recv that would only say EAGAIN. */
    drained = (size_t)n < TM_BATCH;
  }
  size_t done = 0;
  int wait_c = 0;
  while (done < len) {
    ERR_clear_error();
    int r = SSL_write(c->ssl, data + done, (int)(len - done));
    if (r <= 0) {
      int err = SSL_get_error(c->ssl, r);
      ERR_clear_error();
      if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) { conn_close(c, CK_FORWARD_END, NULL, NULL); return STEP_CLOSED; }
      wait_c = err == SSL_ERROR_WANT_WRITE ? UV_WRITABLE : UV_READABLE;
      break;
    }
    done += (size_t)r;
  }
  c->bytes_out += (uint64_t)done;
  if (from_scratch) {
    /* The retry passes the same bytes again (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: from the kept copy). */
    if (done < len && keep(&c->b2c, data + done, len - done) != 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return STEP_CLOSED; }
  } else {
    c->b2c.off += done;
    c->b2c.len -= done;
    if (c->b2c.len == 0) drop(&c->b2c);
  }
  if (wait_c) {
    *cev |= wait_c;
    return done > 0 || from_scratch ? STEP_MOVED_BLOCKED : STEP_BLOCKED;
  }
  if (drained) { *bev |= UV_READABLE; return STEP_MOVED_BLOCKED; }
  return STEP_MOVED;
}

/*
 * Runs the directions that are not blocked until both are, or until this
 * connection has moved TM_BUDGET bytes (then the others get their turn and
 * it carries on from the idle handle). The poll interest is the union of what
 * the blocked directions wait for, so a quiet direction costs no syscall.
 */
void conn_pump(struct conn *c) {
  if (c->state != ST_OPEN) return;
  uint64_t start = c->bytes_in + c->bytes_out;
  int progress = 0;
  while (!c->c2b_blocked || !c->b2c_blocked) {
    if (!c->c2b_blocked) {
      int cev = 0, bev = 0;
      int a = step_c2b(c, &cev, &bev);
      if (a == STEP_CLOSED) return;
      if (a != STEP_MOVED) { c->c2b_blocked = 1; c->c2b_cwait = cev; c->c2b_bwait = bev; }
      progress |= a != STEP_BLOCKED;
    }
    if (!c->b2c_blocked) {
      int cev = 0, bev = 0;
      int b = step_b2c(c, &cev, &bev);
      if (b == STEP_CLOSED) return;
      if (b != STEP_MOVED) { c->b2c_blocked = 1; c->b2c_cwait = cev; c->b2c_bwait = bev; }
      progress |= b != STEP_BLOCKED;
    }
    if (c->bytes_in + c->bytes_out - start >= TM_BUDGET) break;
  }
  if (progress) c->deadline = uv_now(c->l->loop) + c->l->idle_ms;
  int cev = (c->c2b_blocked ? c->c2b_cwait : 0) | (c->b2c_blocked ? c->b2c_cwait : 0);
  int bev = (c->c2b_blocked ? c->c2b_bwait : 0) | (c->b2c_blocked ? c->b2c_bwait : 0);
  if (c->c2b_blocked && c->b2c_blocked) {
    if (c->c_eof && c->b_eof && c->b_shut_done && c->c_shut_done && c->c2b.len == 0 && c->b2c.len == 0) {
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      return;
    }
    want(c, cev, bev);
    return;
  }
  /* Still moving: let other connections run, then carry on (OpenSSL may hold bytes the poll cannot see).
   * The interest only grows here, so the idle turn does not cost an epoll_ctl each way. */
  want(c, cev | c->cevents, bev | c->bevents);
  listener_queue_repump(c->l, c);
}

/* A poll event unblocks the directions waiting for it. */
static void wake(struct conn *c, int client_events, int backend_events) {
  if (c->c2b_blocked && ((c->c2b_cwait & client_events) || (c->c2b_bwait & backend_events))) c->c2b_blocked = 0;
  if (c->b2c_blocked && ((c->b2c_cwait & client_events) || (c->b2c_bwait & backend_events))) c->b2c_blocked = 0;
}

static void on_client_io(uv_poll_t *h, int status, int events) {
  struct conn *c = h->data;
  if (c->state == ST_CLOSED) return;
  if (status < 0) {
    if (c->state == ST_HANDSHAKE) conn_close(c, CK_HANDSHAKE_FAILED, "tls_handshake", "TLS handshake failed: socket error");
    else conn_close(c, CK_FORWARD_END, NULL, NULL);
    return;
  }
  if (c->state == ST_HANDSHAKE) handshake(c);
  else if (c->state == ST_OPEN) { wake(c, events, 0); conn_pump(c); }
}

static void on_backend_io(uv_poll_t *h, int status, int events) {
  struct conn *c = h->data;
  if (c->state == ST_CLOSED) return;
  if (c->state == ST_DIALING) {
    if (status < 0) { dial_failed(c, "unreachable"); return; }
    dial_done(c);
    return;
  }
  if (status < 0) { conn_close(c, CK_FORWARD_END, NULL, NULL); return; }
  wake(c, 0, events);
  conn_pump(c);
}
