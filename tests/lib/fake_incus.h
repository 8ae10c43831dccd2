/* A fake Incus server for unit tests: replies replayed from a JSON object
 * {"METHOD /1.0/path?query": envelope, ...} (such as the recordings under
 * testdata/) on a unix socket, one connection at a time, kept alive.  A
 * request it has no reply for gets Incus's 404 envelope.  An array of
 * envelopes is a sequence: each request takes the next, the last one stays
 * (a server whose state changes between two calls).
 *
 * A reply {"fake_raw": {...}} is sent as given instead, for what is not a
 * JSON envelope (file contents) or a server that lies: "status" (200),
 * "headers" (["Name: value", ...]), "body" (a string) sent "repeat" times
 * (1), "content_length" (announced instead of the real length), "close"
 * (no length: the body runs until the connection closes), "no_body" (the
 * headers only, as for HEAD). */
#ifndef COI_TEST_FAKE_INCUS_H
#define COI_TEST_FAKE_INCUS_H

#include <jansson.h>

struct fake_incus;

/* NULL on failure (with a line on stderr).  Takes a reference to replies. */
struct fake_incus *fake_incus_start (json_t *replies);
const char *fake_incus_socket (const struct fake_incus *f);
/* How many requests it answered, known or not. */
int fake_incus_requests (const struct fake_incus *f);
void fake_incus_stop (struct fake_incus *f);

/* The recordings in testdata/<name> under the source tree (COI_SOURCE_DIR
 * at build time). */
json_t *fake_incus_load (const char *name);

#endif
