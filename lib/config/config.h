/* Layered configuration: built-in defaults, then /etc/coi/config.toml,
 * ~/.config/coi/config.toml, ~/.coi/config.toml, the project config
 * (untrusted until `coi trust`), $COI_CONFIG, the selected profile, the
 * environment and finally command-line flags.  Every value remembers which
 * layer set it. */
#ifndef COI_CONFIG_CONFIG_H
#define COI_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

#include "config/toml.h"
#include "util/error.h"
#include "util/hostenv.h"

struct coi_config; /* opaque, the merged result */

struct coi_config_load_opts
{
  const char *workspace;                /* abs path or NULL = cwd */
  const char *profile;                  /* --profile or NULL */
  const char *const *flag_overrides;    /* NULL-terminated "key=value" from CLI flags */
  /* The caller's environment, NULL-terminated "NAME=value" (NULL = empty):
   * HOME, PATH (for npm), COI_CONFIG, COI_TRUST_ALL, COI_<KEY>,
   * CLAUDE_ON_INCUS_*.  lib/config reads no environment of its own. */
  const char *const *env;
  bool quiet;                           /* suppress warnings */
};

int coi_config_load (const struct coi_config_load_opts *o, struct coi_config **out, coi_error_t *err);
void coi_config_free (struct coi_config *c);
static inline void cleanup_configp (struct coi_config **c)
{
  if (*c)
    coi_config_free (*c);
}
#define _cleanup_config_ __attribute__ ((cleanup (cleanup_configp)))

/* Typed getters; an unknown key or a type mismatch gives NULL/false/0. */
const char *coi_config_string (const struct coi_config *c, const char *key); /* "network.mode" */
bool coi_config_bool (const struct coi_config *c, const char *key);
int64_t coi_config_int (const struct coi_config *c, const char *key);
double coi_config_float (const struct coi_config *c, const char *key);
/* Arrays of strings; NULL-terminated, borrowed. */
const char *const *coi_config_strv (const struct coi_config *c, const char *key);
/* Arrays of tables such as [[mounts.default]] or [[network.hosts]], and maps
 * such as defaults.environment: borrowed TOML nodes (NULL when unset). */
const struct toml_value *coi_config_node (const struct coi_config *c, const char *key);
/* "default", "~/.coi/config.toml:12", "env COI_X", "flag --network", "profile hardened" */
const char *coi_config_origin (const struct coi_config *c, const char *key);
const char *coi_config_profile_name (const struct coi_config *c);
/* The workspace the configuration was loaded for (absolute). */
const char *coi_config_workspace (const struct coi_config *c);
/* The home directory it was loaded for. */
const char *coi_config_home (const struct coi_config *c);
/* A path from the configuration made absolute the way the untrusted-config
 * check sees it: relative to the workspace, symlinks resolved, ".." taken
 * after them (a missing tail is cleaned lexically).  *out is malloc'd. */
int coi_config_resolve_path (const struct coi_config *c, const char *path, char **out, coi_error_t *err);
/* What loading it warned about ("<file>:<line>: unknown key ..."), as
 * printed unless the load was quiet; borrowed, *n of them. */
const char *const *coi_config_warnings (const struct coi_config *c, size_t *n);

/* ---- The key table (config_defaults.c) ---- */

enum coi_config_type
{
  CFG_STRING,
  CFG_BOOL,
  CFG_INT,
  CFG_FLOAT,
  CFG_STRV,   /* array of strings */
  CFG_INTV,   /* array of integers */
  CFG_MAP,    /* table of string values (defaults.environment) */
  CFG_TABLES, /* array of tables ([[mounts.default]]) */
};

enum
{
  CFG_K_PATH = 1 << 0,         /* "~" is expanded */
  CFG_K_NPM = 1 << 1,          /* the npm registry host is added at run time */
  CFG_K_UNION = 1 << 8,        /* layers add to the list instead of replacing it */
  CFG_K_REQUIRED = 1 << 9,     /* (table fields) must be present */
  CFG_K_ABSOLUTE = 1 << 10,    /* must be an absolute path */
  CFG_K_DURATION = 1 << 11,    /* Go-style duration text such as "30s", "1h30m" */
};

/* What an untrusted project file (one `coi trust` has not recorded) may do
 * with a key; docs/config-trust.md explains each choice.  Every top-level
 * key has one (a unit test walks the table). */
enum coi_config_trust
{
  CFG_TRUST_UNSET = 0, /* not classified: a bug */
  CFG_TRUST_REFUSE,    /* never taken: reaches the host or weakens a guard */
  CFG_TRUST_ALLOW,     /* taken: it only changes the inside of the container */
  CFG_TRUST_WORKSPACE, /* [[mounts.default]]: entries kept only inside the workspace,
                          and writable ones only away from the protected paths */
  /* Tighten-only: taken only when at least as strict as the current value. */
  CFG_TIGHTEN_ON,       /* bool: true is stricter (may turn it on, not off) */
  CFG_TIGHTEN_OFF,      /* bool: false is stricter (may turn it off, not on) */
  CFG_TIGHTEN_ORDER,    /* string: `stricter` lists the choices strictest first */
  CFG_TIGHTEN_SUBSET,   /* list: may remove entries, not add */
  CFG_TIGHTEN_SUPERSET, /* list of workspace paths: may add entries, not remove */
  CFG_TIGHTEN_ADD,      /* union list of workspace paths: layers only add */
  CFG_TIGHTEN_LOWER,    /* number: lower is stricter */
  CFG_TIGHTEN_NONZERO,  /* number: 0 is "no limit"; else lower is stricter */
  CFG_TIGHTEN_SIZE,     /* "" = none; "2GiB" or "50%": smaller, of the same kind */
  CFG_TIGHTEN_CPUS,     /* "" = all; "2" or a set "0-3": fewer CPUs */
  CFG_TIGHTEN_ALLOWANCE, /* "" = none; "50%" or "25ms/100ms": smaller, same kind */
  CFG_TIGHTEN_RATE,     /* "" = none; "30MB" (bytes/s) or "100iops": lower, same unit */
  CFG_TIGHTEN_SWAP,     /* "false", then a size (smaller), then "true" */
  CFG_TIGHTEN_DURATION, /* "" or "0" = none; else shorter */
};

struct coi_config_key
{
  const char *key;
  enum coi_config_type type;
  const char *def;     /* default as TOML value text, NULL = unset */
  const char *choices; /* "a|b|c" or NULL */
  int64_t min, max;    /* integer range when min < max */
  unsigned flags;
  const struct coi_config_key *fields; /* CFG_TABLES: the element's keys */
  const char *help;
  enum coi_config_trust trust; /* top-level keys only */
  const char *stricter;        /* CFG_TIGHTEN_ORDER: "a|b|c", strictest first */
};

/* Every key, in display order; NULL-key terminated. */
extern const struct coi_config_key coi_config_keys[];
const struct coi_config_key *coi_config_key_find (const char *key);
/* The known key closest to `key` (for "did you mean"), or NULL. */
const char *coi_config_key_suggest (const char *key);
/* COI_NETWORK_MODE for network.mode; buf must hold 128 bytes. */
void coi_config_env_name (const struct coi_config_key *k, char *buf, size_t size);

/* ---- Profiles (config_profiles.c) ---- */

enum coi_profile_kind
{
  COI_PROFILE_BUILTIN,
  COI_PROFILE_CONFIG, /* [profiles.NAME] in a config file */
  COI_PROFILE_USER,   /* ~/.coi/profiles/NAME/config.toml */
  COI_PROFILE_PROJECT /* WORKSPACE/.coi/profiles/NAME/config.toml */
};

struct coi_profile_info
{
  char *name;
  enum coi_profile_kind kind;
  char *source;   /* "built-in", "~/.coi/profiles/x/config.toml", "~/.coi/config.toml:12" */
  char *path;     /* file for user/project profiles, else NULL */
  char *inherits; /* parent name or NULL */
  const struct toml_value *table; /* borrowed from the config */
};

/* All profiles visible from this configuration, sorted by name. */
int coi_config_profiles (const struct coi_config *c, struct coi_profile_info **out, size_t *n, coi_error_t *err);
void coi_profile_infos_free (struct coi_profile_info *v, size_t n);
/* The inheritance chain of a profile, root first ("default", ..., name). */
int coi_config_profile_chain (const struct coi_config *c, const char *name, char ***chain, coi_error_t *err);
const char *coi_profile_kind_name (enum coi_profile_kind k);
/* Letters, digits, '-', '_' and '.', not starting with '.', at most 64. */
bool coi_profile_name_valid (const char *name);
/* ~/.coi/profiles or WORKSPACE/.coi/profiles */
char *coi_profile_dir (const struct coi_config *c, bool project);

/* ---- Validation and schema (config_validate.c) ---- */

struct coi_validate_issue
{
  char *path;    /* key path, "" for the whole file */
  char *message;
};
/* Validates a profile file; issues are returned, the result is 0 even when
 * there are some; -1 only when the file cannot be read. */
int coi_validate_profile_file (const char *path, struct coi_validate_issue **out, size_t *n, coi_error_t *err);
void coi_validate_issues_free (struct coi_validate_issue *v, size_t n);
/* JSON Schema (draft 2020-12) of a profile file, as text. */
char *coi_profile_schema_json (void);

/* ---- Project trust (config_trust.c) ---- */

struct coi_trust_entry
{
  char *path;
  char *sha256;
  char *trusted_at;
};
/* "refused", "allowed", "workspace only" or "tighten-only". */
const char *coi_config_trust_class (enum coi_config_trust t);

/* The trust store is HOME/.coi/trust.toml. */
int coi_trust_list (const char *home, struct coi_trust_entry **out, size_t *n, coi_error_t *err);
void coi_trust_entries_free (struct coi_trust_entry *v, size_t n);
/* Records the sha256 of the file as read now (hex, when not NULL, gets it). */
int coi_trust_add (const char *home, const char *path, char hex[65], coi_error_t *err);
/* Returns 1 when an entry was removed, 0 when there was none. */
int coi_trust_remove (const char *home, const char *path, coi_error_t *err);
/* 1 when the file's current sha256 is recorded, 0 when not (or changed). */
int coi_trust_check (const char *home, const char *path, coi_error_t *err);
/* The sha256 of a project config file, read the way the loader reads it
 * (a regular file, not a symbolic link, at most 16 MiB). */
int coi_sha256_file (const char *path, char hex[65], coi_error_t *err);
/* The project files `coi trust` records for a workspace: its .coi/config.toml
 * and every .coi/profiles/NAME/config.toml that exists. */
int coi_trust_project_files (const char *workspace, char ***files, coi_error_t *err);

/* ---- Paths ---- */

/* HOME from env (NULL-terminated "NAME=value"), or the passwd entry. */
const char *coi_home_dir (const char *const *env);
/* "~/.coi/config.toml" when path is under home. */
char *coi_display_path (const char *home, const char *path);
/* "~" and "~/x" expanded against home; other paths copied. */
char *coi_expand_home (const char *home, const char *path);

/* ---- Rendering (config_show.c) ---- */

/* `coi config show`: text (one "key = value  # origin" line per key) or JSON. */
char *coi_config_show_text (const struct coi_config *c);
json_t *coi_config_show_json (const struct coi_config *c);
/* A config.toml listing every key and default, commented out. */
char *coi_config_template (void);

#endif
