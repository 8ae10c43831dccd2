/* Internals shared by the files of the Incus client; not for callers. */
#ifndef COI_INCUS_CLIENT_PRIVATE_H
#define COI_INCUS_CLIENT_PRIVATE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <time.h>

#include "incus/client.h"
#include "util/sink.h"

struct incus_client
{
  struct incus_endpoint ep;
  char *project;
  CURL *curl; /* kept for connection reuse across calls */
  const struct coi_sink *trace; /* one line per API call (COI_TIMING_DEBUG), or NULL */
  unsigned calls;
};

void incus_client_trace (struct incus_client *c, const char *method, const char *path,
                         struct timespec t0);

char *incus_client_url (struct incus_client *c, const char *path);
int incus_client_setup_handle (struct incus_client *c, CURL *h);
int incus_client_transport_error (struct incus_client *c, CURLcode rc, const char *detail,
                                  coi_error_t *err);

#endif
