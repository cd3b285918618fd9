/*
 * The Node-API surface: `new Listener(admit, event)` with bind, setContext,
 * setLimits, setBackend, setRefuse, cut, stopAccepting, close and counts;
 * trimMalloc().
 * Context-aware (one instance per worker thread); everything runs on the
 * calling thread's libuv loop. src/native/addon.ts describes it for TypeScript.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <uv.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "listener.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "ERR_NATIVE", #call " failed"); return NULL; } } while (0)

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

static struct listener *this_listener(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "ERR_NATIVE", "not a native Listener");
    return NULL;
  }
  return data;
}

/* A JavaScript string argument as a malloc'ed C string ("" for undefined/null). */
static char *string_arg(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  size_t len = 0;
  if (t != napi_string) return calloc(1, 1);
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static double number_arg(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  struct listener *l = arg;
  l->env_teardown = 1;
  listener_close(l);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct listener *l = data;
  l->finalized = 1;
  if (!l->closing) listener_close(l);
  else listener_maybe_free(l);
}

static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_NATIVE", "new Listener(admit, event)");
    return NULL;
  }
  struct listener *l = calloc(1, sizeof *l);
  if (!l) { napi_throw_error(env, "ERR_NATIVE", "out of memory"); return NULL; }
  l->env = env;
  l->lfd = -1;
  l->handshake_ms = 10000;
  l->dial_ms = 10000;
  l->max_conns = 1000;
  napi_value name, resource;
  napi_create_string_utf8(env, "tlsmcp.native", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  if (napi_get_uv_event_loop(env, &l->loop) != napi_ok || napi_async_init(env, resource, name, &l->async_ctx) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &l->admit_fn) != napi_ok || napi_create_reference(env, argv[1], 1, &l->event_fn) != napi_ok ||
      listener_init_handles(l) != 0) {
    free(l);
    napi_throw_error(env, "ERR_NATIVE", "could not create the native listener");
    return NULL;
  }
  napi_add_async_cleanup_hook(env, on_env_teardown, l, &l->cleanup);
  CHECK(napi_wrap(env, self, l, finalize, NULL, NULL));
  return self;
}

/* bind(host: numeric IP, port, reusePort) -> bound port */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  if (l->lpoll_on || l->closing) { napi_throw_error(env, "ERR_NATIVE", "already bound or closed"); return NULL; }
  char *host = string_arg(env, argv[0]);
  bool reuse = false;
  napi_get_value_bool(env, argv[2], &reuse);
  int port = 0;
  int rc = host ? listener_bind(l, host, (int)number_arg(env, argv[1]), reuse, &port) : -ENOMEM;
  free(host);
  if (rc != 0) {
    napi_value code, msg, err;
    /* libuv's names and texts (errors are negative errnos on Unix), so the message reads as Node's listen errors do. */
    napi_create_string_utf8(env, uv_err_name(rc), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, uv_strerror(rc), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &err);
    napi_throw(env, err);
    return NULL;
  }
  napi_value out;
  napi_create_int32(env, port, &out);
  return out;
}

/* The listener's ticket keys, new when the trust anchors or CRLs differ from those they were made
   for: a ticket then no longer opens, so a session resumed after a trust change cannot skip it. */
static int ticket_keys_for_trust(struct listener *l, const char *ca_pem, const char *crl_pem) {
  unsigned char digest[32];
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, ca_pem, strlen(ca_pem) + 1) == 1 &&
           EVP_DigestUpdate(md, crl_pem, strlen(crl_pem)) == 1 && EVP_DigestFinal_ex(md, digest, NULL) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) return 0;
  if (l->has_ticket_keys && memcmp(digest, l->trust_digest, sizeof digest) == 0) return 1;
  if (RAND_bytes(l->ticket_keys, TICKET_KEYS_LEN) != 1) return 0;
  memcpy(l->trust_digest, digest, sizeof digest);
  l->has_ticket_keys = 1;
  return 1;
}

/* setContext(certPem, keyPem, caPem, crlPem, minTls12, ciphers, ciphersuites): new handshakes use it. */
static napi_value js_set_context(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  char *s[7] = {0};
  for (int i = 0; i < 7; i++) if (i != 4) s[i] = string_arg(env, argv[i]);
  bool tls12 = false;
  napi_get_value_bool(env, argv[4], &tls12);
  char error[256] = "";
  if (!ticket_keys_for_trust(l, s[2], s[3])) {
    for (int i = 0; i < 7; i++) { if (s[i]) OPENSSL_cleanse(s[i], strlen(s[i])); free(s[i]); }
    napi_throw_error(env, "ERR_NATIVE_TLS", "no random bytes for the session ticket keys");
    return NULL;
  }
  SSL_CTX *ctx = tls_context_new(s[0], s[1], s[2], s[3], tls12, s[5], s[6], l->ticket_keys, error, sizeof error);
  int has_crls = s[3] && *s[3];
  for (int i = 0; i < 7; i++) {
    if (s[i]) OPENSSL_cleanse(s[i], strlen(s[i])); /* the key PEM */
    free(s[i]);
  }
  if (!ctx) { napi_throw_error(env, "ERR_NATIVE_TLS", error); return NULL; }
  if (!l->vcache && !(l->vcache = verify_cache_new())) { SSL_CTX_free(ctx); napi_throw_error(env, "ERR_NATIVE_TLS", "out of memory"); return NULL; }
  if (l->ctx) SSL_CTX_free(l->ctx); /* live SSLs hold their own reference */
  l->ctx = ctx;
  /* With CRLs every chain is verified in full: a CRL has a time window of its own. */
  verify_cache_use(l->vcache, has_crls ? NULL : ctx);
  return undefined(env);
}

/* setLimits(handshakeMs, idleMs (0 = never), dialMs, maxConnections) */
static napi_value js_set_limits(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  l->handshake_ms = (uint64_t)number_arg(env, argv[0]);
  l->idle_ms = (uint64_t)number_arg(env, argv[1]);
  l->dial_ms = (uint64_t)number_arg(env, argv[2]);
  l->max_conns = (uint32_t)number_arg(env, argv[3]);
  if (!l->closing) listener_arm_sweep(l);
  return undefined(env);
}

/* setBackend(ip, port): numeric address (the JavaScript side resolves names). */
static napi_value js_set_backend(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  char *host = string_arg(env, argv[0]);
  uint16_t port = (uint16_t)number_arg(env, argv[1]);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  int ok = 1;
  if (host && inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
    ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
    ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    l->backend_len = sizeof(struct sockaddr_in);
  } else if (host && inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
    ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    l->backend_len = sizeof(struct sockaddr_in6);
  } else {
    ok = 0;
  }
  free(host);
  if (!ok) { napi_throw_error(env, "ERR_NATIVE", "setBackend needs a numeric IP address"); return NULL; }
  l->backend = ss;
  return undefined(env);
}

/* setRefuse(reason | ''): refuse new sockets at accept (draining, backend_unavailable). */
static napi_value js_set_refuse(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  char *reason = string_arg(env, argv[0]);
  snprintf(l->refuse, sizeof l->refuse, "%s", reason ? reason : "");
  free(reason);
  return undefined(env);
}

/* cut(id) -> whether a live connection was cut (its end is still reported). */
static napi_value js_cut(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct listener *l = this_listener(env, info, &argc, argv);
  if (!l) return NULL;
  uint32_t id = (uint32_t)number_arg(env, argv[0]);
  bool found = false;
  for (struct conn *c = l->established; c; c = c->next) {
    if (c->id == id) {
      conn_close(c, CK_FORWARD_END, NULL, NULL);
      found = true;
      break;
    }
  }
  napi_value out;
  napi_get_boolean(env, found, &out);
  return out;
}

static napi_value js_stop_accepting(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  struct listener *l = this_listener(env, info, &argc, NULL);
  if (!l) return NULL;
  listener_stop_accepting(l);
  return undefined(env);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  struct listener *l = this_listener(env, info, &argc, NULL);
  if (!l) return NULL;
  listener_close(l);
  return undefined(env);
}

/* counts() -> [pending handshakes, established connections] */
static napi_value js_counts(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  struct listener *l = this_listener(env, info, &argc, NULL);
  if (!l) return NULL;
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, l->n_pending, &a);
  napi_create_uint32(env, l->n_established, &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

/*
 * trimMalloc() -> boolean: gives the C heap's free memory back to the OS
 * (glibc's malloc_trim(0): every arena, not only the calling thread's), e.g.
 * once a process has started and freed what loading needed. True when memory
 * was released; false when there was none, or the C library is not glibc.
 */
static napi_value js_trim_malloc(napi_env env, napi_callback_info info) {
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"bind", NULL, js_bind, NULL, NULL, NULL, napi_default, NULL},
    {"setContext", NULL, js_set_context, NULL, NULL, NULL, napi_default, NULL},
    {"setLimits", NULL, js_set_limits, NULL, NULL, NULL, napi_default, NULL},
    {"setBackend", NULL, js_set_backend, NULL, NULL, NULL, napi_default, NULL},
    {"setRefuse", NULL, js_set_refuse, NULL, NULL, NULL, napi_default, NULL},
    {"cut", NULL, js_cut, NULL, NULL, NULL, napi_default, NULL},
    {"stopAccepting", NULL, js_stop_accepting, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"counts", NULL, js_counts, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  CHECK(napi_define_class(env, "Listener", NAPI_AUTO_LENGTH, js_new, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "Listener", cls));
  napi_value trim;
  CHECK(napi_create_function(env, "trimMalloc", NAPI_AUTO_LENGTH, js_trim_malloc, NULL, &trim));
  CHECK(napi_set_named_property(env, exports, "trimMalloc", trim));
  napi_value version;
  napi_create_string_utf8(env, OPENSSL_VERSION_TEXT, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "opensslHeaders", version);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
