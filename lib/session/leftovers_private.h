/* The parts of leftovers.c that live in their own files. */
#ifndef COI_SESSION_LEFTOVERS_PRIVATE_H
#define COI_SESSION_LEFTOVERS_PRIVATE_H

#include "session/leftovers.h"

/* Run files of containers that are gone (leftovers_run.c). */
int coi_run_orphans (struct incus_client *c, const struct coi_orphan_opts *o, coi_leftover_fn fn,
                     void *data, coi_error_t *err);

#endif
