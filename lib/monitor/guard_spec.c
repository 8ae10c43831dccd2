#include "monitor/guard_spec.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

enum field_type
{
  F_BOOL,
  F_INT,
  F_DOUBLE,
};

struct field
{
  const char *name;
  enum field_type type;
  size_t offset;
  double min; /* inclusive lower bound for numbers */
};

#define M(f) offsetof (struct coi_monitor_settings, f)
static const struct field monitoring_fields[] = {
  { "enabled", F_BOOL, M (enabled), 0 },
  { "auto_pause_on_high", F_BOOL, M (auto_pause_on_high), 0 },
  { "auto_kill_on_critical", F_BOOL, M (auto_kill_on_critical), 0 },
  { "poll_interval_sec", F_INT, M (poll_interval_sec), 1 },
  { "file_read_threshold_mb", F_DOUBLE, M (file_read_threshold_mb), 0 },
  { "file_read_rate_mb_per_sec", F_DOUBLE, M (file_read_rate_mb_per_sec), 0 },
  { "file_write_threshold_mb", F_DOUBLE, M (file_write_threshold_mb), 0 },
  { "file_write_rate_mb_per_sec", F_DOUBLE, M (file_write_rate_mb_per_sec), 0 },
  { "process_count_threshold", F_INT, M (process_count_threshold), 1 },
  { "process_spawn_rate_threshold", F_INT, M (process_spawn_rate_threshold), 1 },
  { "network_egress_threshold_mb", F_DOUBLE, M (network_egress_threshold_mb), 0 },
  { "network_egress_rate_mb_per_sec", F_DOUBLE, M (network_egress_rate_mb_per_sec), 0 },
  { "audit_log_retention_days", F_INT, M (audit_log_retention_days), 0 },
  { "dedupe_window_sec", F_INT, M (dedupe_window_sec), 0 },
};
#undef M
#define N_FIELDS (sizeof monitoring_fields / sizeof monitoring_fields[0])

void coi_monitor_settings_defaults (struct coi_monitor_settings *s)
{
  /* COI's embedded defaults (spec B.2); egress thresholds are coi's own. */
  *s = (struct coi_monitor_settings) {
    .enabled = false,
    .auto_pause_on_high = true,
    .auto_kill_on_critical = true,
    .poll_interval_sec = 2,
    .file_read_threshold_mb = 50.0,
    .file_read_rate_mb_per_sec = 10.0,
    .file_write_threshold_mb = 50.0,
    .file_write_rate_mb_per_sec = 10.0,
    .process_count_threshold = 100,
    .process_spawn_rate_threshold = 50,
    .network_egress_threshold_mb = 100.0,
    .network_egress_rate_mb_per_sec = 20.0,
    .audit_log_retention_days = 30,
    .dedupe_window_sec = 30,
  };
}

int coi_monitor_settings_from_json (struct coi_monitor_settings *s, json_t *table, coi_error_t *err)
{
  if (table == NULL || json_is_null (table))
    return 0;
  if (!json_is_object (table))
    return coi_error_usage (err, "monitoring: expected a table");
  const char *key;
  json_t *v;
  json_object_foreach (table, key, v)
    {
      const struct field *f = NULL;
      for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp (monitoring_fields[i].name, key) == 0)
          f = &monitoring_fields[i];
      if (f == NULL)
        {
          /* [monitoring.nft] belongs to the network monitor. */
          if (strcmp (key, "nft") == 0 && json_is_object (v))
            continue;
          return coi_error_usage (err, "monitoring.%s: unknown key", key);
        }
      char *p = (char *) s + f->offset;
      switch (f->type)
        {
        case F_BOOL:
          if (!json_is_boolean (v))
            return coi_error_usage (err, "monitoring.%s: expected true or false", key);
          *(bool *) p = json_is_true (v);
          break;
        case F_INT:
          if (!json_is_integer (v) || json_integer_value (v) < f->min || json_integer_value (v) > 1000000)
            return coi_error_usage (err, "monitoring.%s: expected an integer from %g to 1000000", key, f->min);
          *(int *) p = (int) json_integer_value (v);
          break;
        case F_DOUBLE:
          if (!json_is_number (v) || !isfinite (json_number_value (v)) || json_number_value (v) < f->min)
            return coi_error_usage (err, "monitoring.%s: expected a number >= %g", key, f->min);
          *(double *) p = json_number_value (v);
          break;
        }
    }
  return 0;
}

json_t *coi_monitor_settings_to_json (const struct coi_monitor_settings *s)
{
  _cleanup_json_ json_t *j = json_object ();
  if (j == NULL)
    return NULL;
  for (size_t i = 0; i < N_FIELDS; i++)
    {
      const struct field *f = &monitoring_fields[i];
      const char *p = (const char *) s + f->offset;
      json_t *v = f->type == F_BOOL  ? json_boolean (*(const bool *) p)
                  : f->type == F_INT ? json_integer (*(const int *) p)
                                     : json_real (*(const double *) p);
      if (json_object_set_new (j, f->name, v) < 0)
        return NULL;
    }
  return steal_pointer (&j);
}

void coi_guard_spec_init (struct coi_guard_spec *s)
{
  memset (s, 0, sizeof *s);
  s->auto_stop = true;
  s->stop_graceful = true;
  s->stop_timeout_sec = 5;
  s->log_dns_queries = true;
  coi_monitor_settings_defaults (&s->monitoring);
}

void coi_guard_spec_clear (struct coi_guard_spec *s)
{
  free (s->container);
  free (s->remote);
  free (s->project);
  free (s->audit_log);
  free (s->network_mode);
  free (s->log_path);
  if (s->allowed)
    json_decref (s->allowed);
  if (s->limits)
    json_decref (s->limits);
  free (s->owner.state_dir);
  json_decref (s->policy);
  memset (s, 0, sizeof *s);
}

static int dup_opt (json_t *j, const char *key, char **out, coi_error_t *err)
{
  json_t *v = json_object_get (j, key);
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return coi_error_usage (err, "session spec: %s: expected a string", key);
  free (*out);
  *out = strdup (json_string_value (v));
  return *out ? 0 : coi_error_errno (err, ENOMEM, "session spec");
}

static int read_site (struct coi_guard_spec *s, json_t *o, coi_error_t *err)
{
  if (o == NULL || json_is_null (o))
    return 0;
  const char *table = NULL, *dir = NULL;
  json_int_t base = 0;
  json_error_t jerr;
  if (json_unpack_ex (o, &jerr, JSON_STRICT, "{s:s, s:s, s:I}", "table", &table, "state_dir", &dir, "log_base",
                      &base)
      < 0)
    return coi_error_usage (err, "session spec: site: %s", jerr.text);
  if (strlen (table) >= sizeof s->site.table || strlen (dir) >= sizeof s->site.state_dir || base < 1
      || base > 65000 || dir[0] != '/')
    return coi_error_usage (err, "session spec: site: out of range");
  s->has_site = true;
  strcpy (s->site.table, table);
  strcpy (s->site.state_dir, dir);
  s->site.log_base = (uint16_t) base;
  return 0;
}

static int read_owner (struct coi_guard_spec *s, json_t *o, coi_error_t *err)
{
  if (o == NULL || json_is_null (o))
    return 0;
  json_int_t uid = -1, gid = -1;
  const char *name = NULL, *dir = NULL;
  json_error_t jerr;
  if (json_unpack_ex (o, &jerr, JSON_STRICT, "{s:I, s:I, s:s, s:s}", "uid", &uid, "gid", &gid, "name",
                      &name, "state_dir", &dir) < 0)
    return coi_error_usage (err, "session spec: owner: %s", jerr.text);
  if (uid < 0 || gid < 0 || uid > 0x7fffffff || gid > 0x7fffffff || strlen (name) >= sizeof s->owner.name
      || dir[0] != '/')
    return coi_error_usage (err, "session spec: owner: out of range");
  s->owner.set = true;
  s->owner.uid = (uid_t) uid;
  s->owner.gid = (gid_t) gid;
  snprintf (s->owner.name, sizeof s->owner.name, "%s", name);
  free (s->owner.state_dir);
  s->owner.state_dir = strdup (dir);
  return s->owner.state_dir ? 0 : coi_error_errno (err, ENOMEM, "session spec");
}

int coi_guard_spec_from_json (struct coi_guard_spec *s, json_t *j, coi_error_t *err)
{
  json_t *rt = NULL, *mon = NULL, *net = NULL, *limits = NULL;
  int ephemeral = s->ephemeral, auto_stop = s->auto_stop, graceful = s->stop_graceful;
  json_int_t started = 0, max_dur = 0, stop_to = s->stop_timeout_sec;
  json_error_t jerr;
  if (json_unpack_ex (j, &jerr, 0, "{s?b, s?I, s?o, s?o, s?o, s?o}", "ephemeral", &ephemeral, "started_at",
                      &started, "runtime", &rt, "monitoring", &mon, "network", &net, "limits", &limits) < 0)
    return coi_error_usage (err, "session spec: %s", jerr.text);
  if (rt && json_unpack_ex (rt, &jerr, 0, "{s?I, s?b, s?b, s?I}", "max_duration_sec", &max_dur, "auto_stop",
                            &auto_stop, "stop_graceful", &graceful, "stop_timeout_sec", &stop_to) < 0)
    return coi_error_usage (err, "session spec: runtime: %s", jerr.text);
  if (max_dur < 0 || stop_to < 0 || stop_to > 3600)
    return coi_error_usage (err, "session spec: runtime: durations must be >= 0");
  if (dup_opt (j, "container", &s->container, err) < 0 || dup_opt (j, "remote", &s->remote, err) < 0
      || dup_opt (j, "project", &s->project, err) < 0 || dup_opt (j, "audit_log", &s->audit_log, err) < 0)
    return -1;
  if (s->container == NULL)
    return coi_error_usage (err, "session spec: container is missing");
  if (net)
    {
      json_t *group = json_object_get (net, "log_group");
      if (dup_opt (net, "mode", &s->network_mode, err) < 0 || dup_opt (net, "log_path", &s->log_path, err) < 0)
        return -1;
      if (group && (!json_is_integer (group) || json_integer_value (group) < 0 || json_integer_value (group) > 65535))
        return coi_error_usage (err, "session spec: network.log_group: expected an integer from 0 to 65535");
      if (group)
        s->log_group = (int) json_integer_value (group);
      json_t *dq = json_object_get (net, "dns_query_threshold");
      json_t *lq = json_object_get (net, "log_dns_queries");
      if (dq && (!json_is_integer (dq) || json_integer_value (dq) < 0 || json_integer_value (dq) > 1000000))
        return coi_error_usage (err, "session spec: network.dns_query_threshold: expected 0 to 1000000");
      if (lq && !json_is_boolean (lq))
        return coi_error_usage (err, "session spec: network.log_dns_queries: expected a boolean");
      if (dq)
        s->dns_query_threshold = (int) json_integer_value (dq);
      if (lq)
        s->log_dns_queries = json_is_true (lq);
      if (s->log_path && s->log_path[0] != '/')
        return coi_error_usage (err, "session spec: network.log_path: \"%s\" is not an absolute path", s->log_path);
      json_t *allowed = json_object_get (net, "allowed");
      if (json_is_null (allowed))
        allowed = NULL;
      if (allowed && !json_is_array (allowed))
        return coi_error_usage (err, "session spec: network.allowed: expected an array");
      if (allowed)
        {
          if (s->allowed)
            json_decref (s->allowed);
          s->allowed = json_incref (allowed);
        }
    }
  if (limits && !json_is_null (limits))
    {
      if (s->limits)
        json_decref (s->limits);
      s->limits = json_incref (limits);
    }
  if (coi_monitor_settings_from_json (&s->monitoring, mon, err) < 0)
    return coi_error_prefix (err, "session spec");
  if (read_owner (s, json_object_get (j, "owner"), err) < 0 || read_site (s, json_object_get (j, "site"), err) < 0)
    return -1;
  json_t *policy = net ? json_object_get (net, "policy") : NULL;
  if (policy && !json_is_null (policy))
    {
      if (!json_is_object (policy))
        return coi_error_usage (err, "session spec: network.policy: expected an object");
      json_decref (s->policy);
      s->policy = json_incref (policy);
    }
  s->ephemeral = ephemeral;
  s->started_at = (time_t) started;
  s->max_duration_sec = (long) max_dur;
  s->auto_stop = auto_stop;
  s->stop_graceful = graceful;
  s->stop_timeout_sec = (int) stop_to;
  return 0;
}

json_t *coi_guard_spec_to_json (const struct coi_guard_spec *s)
{
  json_t *mon = coi_monitor_settings_to_json (&s->monitoring);
  if (mon == NULL)
    return NULL;
  json_t *owner = s->owner.set ? json_pack ("{s:I, s:I, s:s, s:s}", "uid", (json_int_t) s->owner.uid, "gid",
                                            (json_int_t) s->owner.gid, "name", s->owner.name, "state_dir",
                                            s->owner.state_dir ? s->owner.state_dir : "/")
                               : NULL;
  json_t *site = s->has_site ? json_pack ("{s:s, s:s, s:i}", "table", s->site.table, "state_dir",
                                          s->site.state_dir, "log_base", (int) s->site.log_base)
                             : NULL;
  return json_pack ("{s:i, s:s, s:s?, s:s?, s:b, s:I, s:s?, s:{s:s?, s:O?, s:i, s:s?, s:O?, s:i, s:b}, s:O?, "
                    "s:{s:I, s:b, s:b, s:i}, s:o, s:o?, s:o?}",
                    "version", 1, "container", s->container, "remote", s->remote, "project", s->project,
                    "ephemeral", s->ephemeral, "started_at", (json_int_t) s->started_at, "audit_log",
                    s->audit_log, "network", "mode", s->network_mode, "allowed", s->allowed, "log_group",
                    s->log_group, "log_path", s->log_path, "policy", s->policy, "dns_query_threshold",
                    s->dns_query_threshold, "log_dns_queries", s->log_dns_queries, "limits",
                    s->limits, "runtime", "max_duration_sec", (json_int_t) s->max_duration_sec,
                    "auto_stop", s->auto_stop, "stop_graceful", s->stop_graceful, "stop_timeout_sec",
                    s->stop_timeout_sec, "monitoring", mon, "owner", owner, "site", site);
}

int coi_guard_spec_load (const char *path, struct coi_guard_spec *s, coi_error_t *err)
{
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (j == NULL)
    return coi_error_make (err, 0, "read session spec %s: %s (line %d)", path, jerr.text, jerr.line);
  if (coi_guard_spec_from_json (s, j, err) < 0)
    return coi_error_prefix (err, "%s", path);
  return 0;
}

int coi_guard_spec_save (const char *path, const struct coi_guard_spec *s, coi_error_t *err)
{
  _cleanup_json_ json_t *j = coi_guard_spec_to_json (s);
  if (j == NULL)
    return coi_error_make (err, 0, "write session spec %s: cannot encode", path);
  _cleanup_free_ char *text = json_dumps (j, JSON_INDENT (2) | JSON_SORT_KEYS);
  if (text == NULL)
    return coi_error_make (err, 0, "write session spec %s: cannot encode", path);
  return coi_write_file_atomic (path, text, strlen (text), 0600, err);
}
