/* The one create request of a session: image, identity mapping, workspace
 * and extra mounts, hardening and coi's own labels, all in a single body. */
#ifndef COI_SESSION_SPEC_H
#define COI_SESSION_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "session/mounts.h"
#include "util/error.h"

enum coi_idmap_mode
{
  COI_IDMAP_SHIFT, /* idmapped mount: container uid N is host uid N */
  COI_IDMAP_RAW,   /* raw.idmap "both HOSTUID CODEUID" */
  COI_IDMAP_NONE,  /* neither (FUSE workspaces, disable_shift) */
};

struct coi_instance_plan
{
  const char *name;
  const char *image;          /* alias, or remote:alias */
  const char *session_id;
  const char *workspace_host; /* real path on the host */
  const char *workspace_path; /* mount point in the container, normally /workspace */
  const char *tool;
  const char *profile;        /* coi profile, recorded for resume; may be NULL */
  bool persistent;
  const struct coi_mounts *mounts;
  enum coi_idmap_mode idmap;
  uid_t host_uid;
  gid_t host_gid;
  int code_uid;
  const char *storage_pool;   /* NULL: the default profile's */
  const char *const *env;     /* for remote:alias images (the incus client config) */
};

int coi_instance_body (const struct coi_instance_plan *p, json_t **body, coi_error_t *err);

/* Syscall rules (Incus security.syscalls.deny lines) that make setuid and
 * setgid files impossible to create: nothing the agent writes into the
 * workspace can become a privileged program on the host.  Devices need
 * CAP_MKNOD in the host's namespace, which the container never has. */
extern const char coi_no_setid_rules[];

/* Choose shift, raw.idmap or none for a workspace on this server. */
enum coi_idmap_mode coi_choose_idmap (bool server_has_idmapped_mounts, bool disable_shift,
                                      const char *workspace_host, uid_t host_uid, int code_uid);

/* The instance's coi labels. */
#define COI_KEY_SESSION "user.coi.session"
#define COI_KEY_WORKSPACE "user.coi.workspace"
#define COI_KEY_PERSISTENT "user.coi.persistent"
#define COI_KEY_TOOL "user.coi.tool"
#define COI_KEY_PROFILE "user.coi.profile"
#define COI_KEY_IMAGE "user.coi.image"
#define COI_KEY_SLOT "user.coi.slot"
#define COI_KEY_OWNER "user.coi.owner"       /* pid:boot-id of the launching coi */
#define COI_KEY_STATE "user.coi.state"       /* launching | ready */

#endif
