#ifndef TLSMCP_VERIFY_CACHE_H
#define TLSMCP_VERIFY_CACHE_H
#include <openssl/ssl.h>

/* Client chains a listener's current TLS context verified (./verify-cache.c). */
struct verify_cache;

struct verify_cache *verify_cache_new(void);
void verify_cache_free(struct verify_cache *cache);
/* `ctx` becomes the context whose handshakes use the cache (emptied); NULL: none does. */
void verify_cache_use(struct verify_cache *cache, SSL_CTX *ctx);

#endif
