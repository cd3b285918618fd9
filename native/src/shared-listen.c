/*
 * One accept queue for a service's worker threads, instead of one each.
 *
 * With SO_REUSEPORT alone every worker has its own listening socket and the
 * kernel hashes each new connection to one of them, busy or not: with few
 * connections in flight two can land on the same worker while another sits
 * idle (two sequential `openssl s_time` clients against two workers: 693–788
 * connections/s with a queue each, 916–1,044 sharing one). Sharing one socket,
 * whichever worker's loop is idle accepts first. All the listeners of a group
 * poll the same fd, so a new connection wakes each of them (one accept wins,
 * the others see EAGAIN): groups are therefore capped at SHARED_LISTEN_GROUP
 * listeners, and beyond that a new SO_REUSEPORT socket starts the next group,
 * the kernel spreading connections between groups. Each listener polls a dup of
 * the group's socket (libuv watches an fd once per loop, and tests run several
 * listeners on one loop). A socket is closed when its
 * last listener lets go, so connections queued on it are accepted by the other
 * workers of the group when one of them stops (a socket of its own would have
 * reset them).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "shared-listen.h"

#define SHARED_LISTEN_GROUP 4

struct shared {
  struct sockaddr_storage addr; /* with the bound port */
  socklen_t len;
  int fd;
  int refs;
  struct shared *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared *head;

static int port_of(const struct sockaddr_storage *a) {
  return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port : ((const struct sockaddr_in6 *)a)->sin6_port);
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family || port_of(a) != port_of(b)) return 0;
  if (a->ss_family == AF_INET) return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
  return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

int shared_listen_acquire(const struct sockaddr_storage *addr, socklen_t len, int *group, int *bound_port) {
  pthread_mutex_lock(&lock);
  /* Port 0 asks for a fresh port: never shared. */
  if (port_of(addr) != 0) {
    for (struct shared *s = head; s; s = s->next) {
      if (s->refs < SHARED_LISTEN_GROUP && same_address(&s->addr, addr)) {
        int own = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
        if (own < 0) break; /* out of descriptors: the new socket below fails the same way (EMFILE) and the error is returned */
        s->refs++;
        *group = s->fd;
        *bound_port = port_of(&s->addr);
        pthread_mutex_unlock(&lock);
        return own;
      }
    }
  }
  struct shared *s = calloc(1, sizeof *s);
  int fd = s ? socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  int e = s ? errno : ENOMEM;
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one); /* the next group binds the same port */
    if (bind(fd, (const struct sockaddr *)addr, len) != 0 || listen(fd, 511) != 0) {
      e = errno;
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    free(s);
    pthread_mutex_unlock(&lock);
    return -e;
  }
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    e = errno;
    close(fd);
    free(s);
    pthread_mutex_unlock(&lock);
    return -e;
  }
  s->len = sizeof s->addr;
  getsockname(fd, (struct sockaddr *)&s->addr, &s->len);
  s->fd = fd;
  s->refs = 1;
  s->next = head;
  head = s;
  *group = fd;
  *bound_port = port_of(&s->addr);
  pthread_mutex_unlock(&lock);
  return own;
}

void shared_listen_release(int group) {
  pthread_mutex_lock(&lock);
  for (struct shared **p = &head; *p; p = &(*p)->next) {
    struct shared *s = *p;
    if (s->fd != group) continue;
    if (--s->refs == 0) {
      *p = s->next;
      close(s->fd);
      free(s);
    }
    break;
  }
  pthread_mutex_unlock(&lock);
}
