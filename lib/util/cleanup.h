/* Scope-bound ownership helpers, in the style of crun and bubblewrap. */
#ifndef COI_UTIL_CLEANUP_H
#define COI_UTIL_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>

static inline void cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void cleanup_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

static inline void cleanup_jsonp (json_t **j)
{
  if (*j)
    json_decref (*j);
}

/* NULL-terminated vector of owned strings. */
static inline void cleanup_strvp (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
}

#define _cleanup_free_ __attribute__ ((cleanup (cleanup_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (cleanup_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__ ((cleanup (cleanup_closedirp)))
#define _cleanup_json_ __attribute__ ((cleanup (cleanup_jsonp)))
#define _cleanup_strv_ __attribute__ ((cleanup (cleanup_strvp)))

/* Hand ownership out of a cleanup-managed variable. */
#define steal_pointer(pp) \
  ({ __typeof__ (*(pp)) _tmp = *(pp); *(pp) = NULL; _tmp; })

static inline int steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#endif
