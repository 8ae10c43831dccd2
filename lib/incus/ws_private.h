/* Shared between ws.c (framing) and ws_connect.c (handshake). */
#ifndef COI_INCUS_WS_PRIVATE_H
#define COI_INCUS_WS_PRIVATE_H

#include <curl/curl.h>

#include "incus/ws.h"

/* Wrap an upgraded libcurl CONNECT_ONLY handle (ownership of h passes in,
 * also on failure). */
int incus_ws_from_curl (CURL *h, int fd, const void *pending, size_t pending_len,
                        struct incus_ws **out, coi_error_t *err);

#endif
