/* guard_call [-w FILE] SOCKET [MESSAGE]: send MESSAGE (bytes as given,
 * default stdin) to a guard socket as one packet and print the reply.  For
 * tests that speak to the guard as a hostile client would: nothing is
 * checked on this side.  With -w, the connection stays open after the
 * reply until FILE exists (at most a minute), so that a test can hold what
 * the guard ties to a connection.  Exit 0 when a
 * reply came, 1 when the connection closed, 2 on usage or connect errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void wait_for (const char *path)
{
  for (int i = 0; i < 1200 && access (path, F_OK) < 0; i++)
    usleep (50 * 1000);
}

int main (int argc, char **argv)
{
  const char *hold = NULL;
  if (argc > 2 && strcmp (argv[1], "-w") == 0)
    {
      hold = argv[2];
      argc -= 2;
      argv += 2;
    }
  if (argc < 2 || strlen (argv[1]) >= sizeof ((struct sockaddr_un *) 0)->sun_path)
    {
      fprintf (stderr, "usage: guard_call [-w FILE] SOCKET [MESSAGE]\n");
      return 2;
    }
  static char msg[1 << 20];
  size_t n;
  if (argc > 2)
    {
      n = strlen (argv[2]);
      if (n > sizeof msg)
        return 2;
      memcpy (msg, argv[2], n);
    }
  else
    n = fread (msg, 1, sizeof msg, stdin);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy (a.sun_path, argv[1]);
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &a, sizeof a) < 0)
    {
      fprintf (stderr, "guard_call: %s: %s\n", argv[1], strerror (errno));
      return 2;
    }
  if (send (fd, msg, n, MSG_NOSIGNAL) < 0)
    {
      fprintf (stderr, "guard_call: send: %s\n", strerror (errno));
      return 1;
    }
  static char reply[1 << 17];
  ssize_t r = recv (fd, reply, sizeof reply - 1, 0);
  if (r <= 0)
    return 1;
  reply[r] = '\0';
  printf ("%s\n", reply);
  fflush (stdout);
  if (hold)
    wait_for (hold);
  close (fd);
  return 0;
}
