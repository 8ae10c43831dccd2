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

/* Where the loader looks; coi_config_load fills it from the process, tests
 * point it at temporary directories. */
struct cfg_env
{
  const char *home;
  const char *system_config; /* /etc/coi/config.toml */
  const char *cwd;
  const char *npm; /* program asked for the npm registry, NULL = none */
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
  bool npm_done;
  struct strv warnings; /* full lines without the "coi: warning: " prefix */
  struct strv untrusted_ignored;
  struct strv untrusted_files;
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

/* config_trust.c: what an untrusted source may not change. */
bool config_untrusted_allows (const struct coi_config *c, const struct coi_config_key *k,
                              const struct toml_value *cur, const struct toml_value *v);
/* Removes mounts outside the workspace; returns how many were dropped. */
size_t config_untrusted_filter_mounts (const struct coi_config *c, struct toml_value *arr);

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
/* The host of `npm config get registry`, or NULL. */
char *config_npm_registry_host (const char *npm);
/* "https://registry.example:8443/path" -> "registry.example" */
char *config_url_host (const char *url);

#endif
