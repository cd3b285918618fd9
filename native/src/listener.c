#define _GNU_SOURCE
/*
 * The listening socket of one worker (alone, or shared with the service's
 * other workers: ./shared-listen.c), the sweep that enforces handshake, dial and idle deadlines (one timer
 * per listener, none per connection), max_connections (the oldest unfinished
 * handshake makes room, as src/core/handshake-guard.ts does), and the two
 * calls into JavaScript: `admit` after a handshake and `event` when a
 * connection ends. Both run synchronously on the worker's own thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn.h"
#include "listener.h"
#include "shared-listen.h"

static void call_js(struct listener *l, napi_ref fn_ref, size_t argc, napi_value *argv, napi_value *result) {
  napi_env env = l->env;
  napi_value fn, recv, ignored;
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv); /* napi_make_callback wants an object receiver */
  napi_status s = napi_make_callback(env, l->async_ctx, recv, fn, argc, argv, result ? result : &ignored);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

int listener_admit(struct listener *l, struct conn *c, const unsigned char *der, size_t der_len, int resumed) {
  if (l->closing || l->env_teardown) return 0;
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[5], result = NULL;
  void *copy;
  napi_create_uint32(env, c->id, &argv[0]);
  napi_create_buffer_copy(env, der_len, der, &copy, &argv[1]);
  argv[2] = str(env, c->peer);
  napi_create_double(env, (double)c->handshake_ms, &argv[3]);
  napi_get_boolean(env, resumed != 0, &argv[4]);
  call_js(l, l->admit_fn, 5, argv, &result);
  bool allow = false;
  if (result) napi_get_value_bool(env, result, &allow);
  napi_close_handle_scope(env, scope);
  return allow ? 1 : 0;
}

/* event(kind, id, peer, reason, detail, bytesIn, bytesOut, handshakeMs) */
static void emit(struct listener *l, const char *kind, uint32_t id, const char *peer, const char *reason, const char *detail, double in, double out, double hs) {
  if (l->env_teardown || l->finalized) return;
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[8];
  argv[0] = str(env, kind);
  napi_create_uint32(env, id, &argv[1]);
  argv[2] = str(env, peer);
  argv[3] = str(env, reason);
  argv[4] = str(env, detail);
  napi_create_double(env, in, &argv[5]);
  napi_create_double(env, out, &argv[6]);
  napi_create_double(env, hs, &argv[7]);
  call_js(l, l->event_fn, 8, argv, NULL);
  napi_close_handle_scope(env, scope);
}

void listener_emit(struct listener *l, struct conn *c) {
  if (c->close_kind == CK_SILENT) return;
  if (c->close_kind == CK_HANDSHAKE_FAILED) emit(l, "refused", c->id, c->peer, c->reason, c->detail, 0, 0, 0);
  else emit(l, "closed", c->id, c->peer, c->reason, c->detail, (double)c->bytes_in, (double)c->bytes_out, (double)c->handshake_ms);
}

static void refuse_fd(struct listener *l, int fd, const struct sockaddr_storage *addr, const char *reason, const char *detail) {
  char host[INET6_ADDRSTRLEN] = "";
  if (addr->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof host);
  else if (addr->ss_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof host);
  close(fd);
  emit(l, "refused", 0, host, reason, detail, 0, 0, 0);
}

/* The sweep runs only while there is something to watch (a connection, or accepting paused):
   an idle listener wakes its thread for nothing (idle CPU, bench "idle CPU ms per second"). */
static void sweep_while_busy(struct listener *l) {
  if (l->sweep_on && !l->closing && !uv_is_active((uv_handle_t *)&l->sweep)) listener_arm_sweep(l);
}

static void on_accept(uv_poll_t *h, int status, int events) {
  (void)events;
  struct listener *l = h->data;
  if (status < 0 || l->closing) return;
  for (int i = 0; i < 64 && !l->closing; i++) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int fd = accept4(l->lfd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* Out of descriptors: the socket stays readable, so polling on would spin. Pause until the next sweep. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        uv_poll_stop(&l->lpoll);
        l->accept_paused = 1;
        sweep_while_busy(l);
      }
      return; /* EAGAIN: nothing left to accept */
    }
    if (l->refuse[0]) {
      refuse_fd(l, fd, &addr, l->refuse, strcmp(l->refuse, "draining") == 0 ? "the listener is shutting down" : "the backend is not ready");
      continue;
    }
    if (l->n_pending + l->n_established >= l->max_conns) {
      char detail[120];
      if (l->pending_head == NULL) {
        snprintf(detail, sizeof detail, "limits.max_connections (%u) reached", l->max_conns);
        refuse_fd(l, fd, &addr, "max_connections", detail);
        continue;
      }
      snprintf(detail, sizeof detail, "limits.max_connections (%u) reached: the oldest unfinished handshake made room", l->max_conns);
      conn_close(l->pending_head, CK_HANDSHAKE_FAILED, "max_connections", detail);
    }
    conn_accept(l, fd, &addr);
    sweep_while_busy(l);
  }
}

static void on_sweep(uv_timer_t *t) {
  struct listener *l = t->data;
  uint64_t now = uv_now(l->loop);
  if (l->accept_paused && l->lpoll_on && !l->closing) {
    l->accept_paused = 0;
    uv_poll_start(&l->lpoll, UV_READABLE, on_accept);
  }
  while (l->pending_head && l->pending_head->deadline <= now) {
    char detail[120];
    snprintf(detail, sizeof detail, "no complete TLS handshake within limits.handshake_timeout (%llu ms)", (unsigned long long)l->handshake_ms);
    conn_close(l->pending_head, CK_HANDSHAKE_FAILED, "handshake_timeout", detail);
  }
  for (struct conn *c = l->established, *next; c; c = next) {
    next = c->next;
    if (c->deadline > now) continue;
    if (c->state == ST_DIALING) {
      char detail[120];
      snprintf(detail, sizeof detail, "backend did not answer within limits.dial_timeout (%llu ms)", (unsigned long long)l->dial_ms);
      conn_close(c, CK_FORWARD_END, "backend_dial_failed", detail);
    } else if (c->state == ST_OPEN && l->idle_ms > 0) {
      conn_close(c, CK_FORWARD_END, NULL, NULL);
    }
  }
  if (l->n_conns == 0 && !l->accept_paused) uv_timer_stop(&l->sweep); /* the next accept starts it again */
}

void listener_arm_sweep(struct listener *l) {
  uint64_t shortest = l->handshake_ms;
  if (l->dial_ms < shortest) shortest = l->dial_ms;
  if (l->idle_ms > 0 && l->idle_ms < shortest) shortest = l->idle_ms;
  uint64_t every = shortest / 4;
  if (every < 25) every = 25;
  if (every > 250) every = 250;
  uv_timer_start(&l->sweep, on_sweep, every, every);
}

static void on_idle(uv_idle_t *h) {
  struct listener *l = h->data;
  struct conn *c = l->repump_head;
  l->repump_head = NULL;
  uv_idle_stop(&l->idle);
  while (c) {
    struct conn *next = c->repump_next;
    c->repump_next = NULL;
    c->repump_queued = 0;
    conn_pump(c);
    c = next;
  }
}

void listener_queue_repump(struct listener *l, struct conn *c) {
  if (c->repump_queued) return;
  c->repump_queued = 1;
  c->repump_next = l->repump_head;
  l->repump_head = c;
  uv_idle_start(&l->idle, on_idle);
}

/* Removes a closed conn from the repump queue (its memory is about to go). */
static void unqueue(struct listener *l, struct conn *c) {
  struct conn **p = &l->repump_head;
  while (*p) {
    if (*p == c) { *p = c->repump_next; return; }
    p = &(*p)->repump_next;
  }
}

void listener_forget(struct listener *l, struct conn *c) {
  if (c->repump_queued) unqueue(l, c);
}

int listener_bind(struct listener *l, const char *host, int port, int reuse_port, int *bound_port) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
    ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
    ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    len = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
    ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    len = sizeof(struct sockaddr_in6);
  } else {
    return -EINVAL;
  }
  int fd;
  if (reuse_port) {
    /* Several workers serve this address: share their accept queue (shared-listen.c). */
    fd = shared_listen_acquire(&ss, len, &l->lfd_group, bound_port);
    if (fd < 0) return fd;
  } else {
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 511) != 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  if (uv_poll_init_socket(l->loop, &l->lpoll, fd) != 0) {
    close(fd);
    if (reuse_port) shared_listen_release(l->lfd_group);
    return -EIO;
  }
  l->lfd = fd;
  l->lfd_shared = reuse_port;
  l->lpoll.data = l;
  l->lpoll_on = 1;
  l->open_handles++;
  uv_poll_start(&l->lpoll, UV_READABLE, on_accept);
  return 0;
}

static void on_listener_handle_closed(uv_handle_t *h) {
  struct listener *l = h->data;
  if (h == (uv_handle_t *)&l->lpoll) {
    close(l->lfd);
    if (l->lfd_shared) shared_listen_release(l->lfd_group);
  }
  l->open_handles--;
  listener_maybe_free(l);
}

void listener_stop_accepting(struct listener *l) {
  if (!l->lpoll_on) return;
  l->lpoll_on = 0;
  uv_close((uv_handle_t *)&l->lpoll, on_listener_handle_closed);
}

/* Stops everything: no new sockets, every live connection cut (each still reports its end). */
void listener_close(struct listener *l) {
  if (l->closing) return;
  l->closing = 1;
  listener_stop_accepting(l);
  while (l->pending_head) conn_close(l->pending_head, CK_HANDSHAKE_FAILED, "draining", "the listener is shutting down");
  while (l->established) conn_close(l->established, CK_FORWARD_END, NULL, NULL);
  if (l->sweep_on) { l->sweep_on = 0; uv_close((uv_handle_t *)&l->sweep, on_listener_handle_closed); }
  if (l->idle_on) { l->idle_on = 0; uv_close((uv_handle_t *)&l->idle, on_listener_handle_closed); }
  listener_maybe_free(l);
}

void listener_maybe_free(struct listener *l) {
  if (!l->closing || l->open_handles > 0 || l->n_conns > 0) return;
  if (l->cleanup) {
    napi_async_cleanup_hook_handle h = l->cleanup;
    l->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
  }
  if (!l->finalized) return; /* the JavaScript object still points here; its finalizer frees */
  if (l->ctx) SSL_CTX_free(l->ctx);
  verify_cache_free(l->vcache);
  OPENSSL_cleanse(l->ticket_keys, sizeof l->ticket_keys);
  if (!l->env_teardown) {
    if (l->admit_fn) napi_delete_reference(l->env, l->admit_fn);
    if (l->event_fn) napi_delete_reference(l->env, l->event_fn);
    if (l->async_ctx) napi_async_destroy(l->env, l->async_ctx);
  }
  free(l);
}

int listener_init_handles(struct listener *l) {
  if (uv_timer_init(l->loop, &l->sweep) != 0) return -1;
  l->sweep.data = l;
  l->sweep_on = 1;
  l->open_handles++;
  uv_unref((uv_handle_t *)&l->sweep);
  if (uv_idle_init(l->loop, &l->idle) != 0) return -1;
  l->idle.data = l;
  l->idle_on = 1;
  l->open_handles++;
  listener_arm_sweep(l);
  return 0;
}
