/* Internals of lib/config shared between its files and the unit tests. */
#ifndef COI_CONFIG_CONFIG_PRIVATE_H
#define COI_CONFIG_CONFIG_PRIVATE_H

#include "config/config.h"

#define COI_PROFILE_MAX_DEPTH 10

struct strv
{
  char **v; /* NULL-terminated when n > 0 */
  size_t n, cap;
};
int strv_add (struct strv *s, const char *str);
int strv_add_unique (struct strv *s, const char *str);
void strv_clear (struct strv *s);
bool strv_contains (const struct strv *s, const char *str);

struct cfg_entry
{
  struct toml_value *v; /* NULL = unset */
  char *origin;
  char **strv; /* cache for coi_config_strv */
};

struct cfg_profile
{
  char *name;
  enum coi_profile_kind kind;
  char *source; /* for listings: "built-in", "~/.coi/config.toml:12", a path */
  char *label;  /* origin prefix of its values: the file's display name */
  char *path;
  struct toml_value *table; /* NULL when the file could not be parsed */
  char *error;              /* why not, reported when the profile is used */
  bool trusted;
};

/* Where the loader looks and the environment it reads; coi_config_load
 * fills it from the caller's options, tests point it at temporary
 * directories. */
struct cfg_env
{
  const char *home;
  const char *system_config; /* /etc/coi/config.toml */
  const char *cwd;
  const char *npm; /* program asked for the npm registry, NULL = none */
  const char *const *vars; /* the environment, "NAME=value", NULL-terminated */
};

/* A value an untrusted file tried to set and did not get. */
struct cfg_refusal
{
  size_t key;               /* index in coi_config_keys */
  char *source;             /* "/ws/.coi/config.toml:12" */
  struct toml_value *value; /* what it tried (for a list of tables: one entry) */
  const char *reason;       /* static text */
};

struct coi_config
{
  struct cfg_entry *e; /* parallel to coi_config_keys */
  size_t nkeys;
  char *home, *workspace, *cwd;
  char *profile;
  struct cfg_profile *profiles;
  size_t nprofiles;
  char *npm;
  char **env; /* a copy of the caller's environment, for npm */
  bool npm_done;
  struct strv warnings; /* full lines without the "coi: warning: " prefix */
  struct strv untrusted_ignored; /* keys, for the one-line notice */
  struct strv untrusted_files;
  struct cfg_refusal *refusals; /* every refused value, for `config show` */
  size_t nrefusals;
};

/* One source being applied: a file, a profile, the environment or flags. */
struct cfg_layer
{
  struct coi_config *cfg; /* NULL when only validating */
  const char *label;      /* "~/.coi/config.toml", "profile hardened" */
  const char *fixed_origin; /* "env COI_X": used instead of label:line */
  bool trusted;
  bool profile;   /* profile syntax: inherits, shorthands, [[mounts]] */
  bool validate;  /* collect issues instead of failing; unknown keys are issues */
  struct coi_validate_issue *issues;
  size_t nissues;
  coi_error_t *err;
};

int config_load_env (const struct coi_config_load_opts *o, const struct cfg_env *env, struct coi_config **out,
                     coi_error_t *err);
/* The index of k in coi_config_keys. */
size_t config_key_index (const struct coi_config_key *k);

/* config_apply.c: a parsed document onto the configuration. */
int config_apply_doc (struct cfg_layer *l, const struct toml_value *doc);
/* "label:line" of v in this layer (or its fixed origin). */
char *config_origin_of (const struct cfg_layer *l, const struct toml_value *v);
/* One value for one key: type check, trust rules, merge. */
int config_set (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *v, const char *path);
/* A problem: an error (fatal unless validating) or a warning. */
int config_issue (struct cfg_layer *l, bool fatal, const char *path, const struct toml_value *at, const char *fmt,
                  ...) __attribute__ ((format (printf, 5, 6)));

/* config_value.c: checking values and reading them from text. */
int config_check_value (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *v,
                        const char *path, struct toml_value **out);
/* "true", "30", "a,b" or TOML such as [1, 2] into a value of k's type. */
struct toml_value *config_value_from_text (const struct coi_config_key *k, const char *text);
struct toml_value *config_parse_literal (const char *text);
/* "a string", "an integer", ... */
const char *config_a_type (enum toml_type t);

/* config_untrusted.c: what an untrusted source may change.  nv may lose
 * entries; 0 = apply nv, 1 = refused (recorded), -1 = error. */
int config_untrusted_gate (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *cur,
                           struct toml_value *nv);
/* config_tighten.c: v is at least as strict as cur under k's rule. */
bool config_tighten_ok (const struct coi_config_key *k, const struct toml_value *cur, const struct toml_value *v);

/* config_path.c: base + path with "." and ".." taken lexically. */
char *config_path_clean (const char *base, const char *path);
/* base + path as the kernel walks it: links followed, ".." after them;
 * a missing tail is taken as written.  NULL with errno on failure. */
char *config_path_resolve (const char *base, const char *path);
/* path is dir or lies below it (both clean and absolute). */
bool config_path_inside (const char *dir, const char *path);

/* config_file.c: a config file read once, so that what is hashed for the
 * trust check is what is parsed.  *data is NULL when the file does not
 * exist.  A project file (nofollow) may not be a symbolic link. */
#define CONFIG_FILE_MAX (16 * 1024 * 1024)
int config_file_read (const char *path, const char *shown, bool nofollow, char **data, size_t *len,
                      coi_error_t *err);
void config_sha256 (const void *data, size_t len, char hex[65]);
/* 1 when HOME's trust store records this sha256 for path, else 0. */
int config_trust_lookup (const char *home, const char *path, const char hex[65], coi_error_t *err);

/* config_profiles.c */
int config_profiles_register (struct coi_config *c, const struct cfg_profile *p, coi_error_t *err);
void config_profiles_free (struct coi_config *c);
int config_profiles_scan_dirs (struct coi_config *c, bool trust_all, coi_error_t *err);
int config_profiles_add_builtins (struct coi_config *c, coi_error_t *err);
int config_profile_apply (struct coi_config *c, const char *name, coi_error_t *err);
const struct cfg_profile *config_profile_find (const struct coi_config *c, const char *name, coi_error_t *err);

/* config_npm.c: defaults only known at run time (the npm registry host,
 * added to network.allowed_domains while that is still the default). */
void config_runtime_defaults (struct coi_config *c);
/* The host of `npm config get registry` run in env, or NULL. */
char *config_npm_registry_host (const char *npm, char *const *env);
/* "https://registry.example:8443/path" -> "registry.example" */
char *config_url_host (const char *url);

#endif
