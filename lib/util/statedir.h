/* The user's coi state directory, ~/.coi. */
#ifndef COI_UTIL_STATEDIR_H
#define COI_UTIL_STATEDIR_H

#include "util/error.h"

/* ~/.coi: where coi keeps its state.  Caller frees. */
int coi_state_dir (char **out, coi_error_t *err);

#endif
