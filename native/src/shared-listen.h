#ifndef TLSMCP_SHARED_LISTEN_H
#define TLSMCP_SHARED_LISTEN_H
#include <sys/socket.h>

/* A listening socket for `addr`, shared by up to SHARED_LISTEN_GROUP listeners of this process
   (./shared-listen.c). Returns the caller's own descriptor for it (a dup, >= 0; the caller closes
   it) or -errno; `*group` identifies the shared socket for the release, `*bound_port` is its port. */
int shared_listen_acquire(const struct sockaddr_storage *addr, socklen_t len, int *group, int *bound_port);
/* One listener stops using the group's socket; the last one closes it. */
void shared_listen_release(int group);

#endif
