#include "util/nlread.h"

#include <errno.h>
#include <sys/socket.h>

int coi_nl_drain (int fd, void (*fn) (const struct nlmsghdr *h, void *data), void *data, bool *lost)
{
  char buf[16384] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  *lost = false;
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
          if (errno == ENOBUFS)
            {
              *lost = true; /* the queue overflowed: go on with what is left */
              continue;
            }
          return -1;
        }
      for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK (h, (size_t) n); h = NLMSG_NEXT (h, n))
        fn (h, data);
    }
}
