/* Every configuration key with its type, default and rules: the single
 * source of truth for loading, `coi config show`, the environment names and
 * the profile JSON Schema.  Defaults are TOML value text. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* The last-but-one argument says what an untrusted project file may do
 * with the key (enum coi_config_trust; docs/config-trust.md says why). */
#define S(k, d, fl, tr, h) { k, CFG_STRING, d, NULL, 0, 0, fl, NULL, h, tr, NULL }
#define E(k, d, ch, fl, tr, h) { k, CFG_STRING, d, ch, 0, 0, fl, NULL, h, tr, NULL }
#define EO(k, d, ch, order, fl, h) { k, CFG_STRING, d, ch, 0, 0, fl, NULL, h, CFG_TIGHTEN_ORDER, order }
#define B(k, d, fl, tr, h) { k, CFG_BOOL, d, NULL, 0, 0, fl, NULL, h, tr, NULL }
#define I(k, d, lo, hi, fl, tr, h) { k, CFG_INT, d, NULL, lo, hi, fl, NULL, h, tr, NULL }
#define F(k, d, fl, tr, h) { k, CFG_FLOAT, d, NULL, 0, 0, fl, NULL, h, tr, NULL }
#define V(k, d, fl, tr, h) { k, CFG_STRV, d, NULL, 0, 0, fl, NULL, h, tr, NULL }
#define IV(k, lo, hi, fl, tr, h) { k, CFG_INTV, NULL, NULL, lo, hi, fl, NULL, h, tr, NULL }
#define M(k, fl, tr, h) { k, CFG_MAP, NULL, NULL, 0, 0, fl, NULL, h, tr, NULL }
#define T(k, f, fl, tr, h) { k, CFG_TABLES, NULL, NULL, 0, 0, fl, f, h, tr, NULL }
#define END { NULL, 0, NULL, NULL, 0, 0, 0, NULL, NULL, 0, NULL }

#define REFUSE CFG_TRUST_REFUSE
#define ALLOW CFG_TRUST_ALLOW
#define ON CFG_TIGHTEN_ON
#define OFF CFG_TIGHTEN_OFF
#define LOWER CFG_TIGHTEN_LOWER
#define NONZERO CFG_TIGHTEN_NONZERO
#define FIELD CFG_TRUST_UNSET /* fields of a table: its key decides */

static const struct coi_config_key mount_fields[] = {
  S ("host", NULL, CFG_K_PATH | CFG_K_REQUIRED, FIELD, "Host directory (~ is expanded; relative to the workspace)"),
  S ("container", NULL, CFG_K_REQUIRED | CFG_K_ABSOLUTE, FIELD, "Absolute path in the container"),
  B ("readonly", "false", 0, FIELD, "Mount read-only"),
  END,
};

static const struct coi_config_key host_fields[] = {
  S ("ip", NULL, CFG_K_REQUIRED, FIELD, "IPv4 address"),
  V ("hostnames", NULL, CFG_K_REQUIRED, FIELD, "Names written to /etc/hosts"),
  IV ("ports", 1, 65535, 0, FIELD, "Ports allowed to this host"),
  END,
};

static const struct coi_config_key socket_fields[] = {
  S ("host", NULL, CFG_K_PATH | CFG_K_REQUIRED, FIELD, "Host socket path"),
  S ("container", NULL, CFG_K_REQUIRED | CFG_K_ABSOLUTE, FIELD, "Socket path in the container"),
  S ("env", NULL, 0, FIELD, "Environment variable that receives the container path"),
  END,
};

static const struct coi_config_key port_fields[] = {
  S ("name", NULL, 0, FIELD, "Label"),
  I ("container", NULL, 1, 65535, CFG_K_REQUIRED, FIELD, "Container port"),
  I ("host", NULL, 1, 65535, 0, FIELD, "Host port (default: from ports.pool)"),
  S ("listen", NULL, 0, FIELD, "Host address to listen on"),
  END,
};

static const struct coi_config_key credential_fields[] = {
  S ("bundle", NULL, 0, FIELD, "Named credential bundle"),
  S ("host", NULL, CFG_K_PATH, FIELD, "Host file"),
  S ("container", NULL, CFG_K_ABSOLUTE, FIELD, "Path in the container"),
  S ("mode", NULL, 0, FIELD, "File mode, e.g. \"0600\""),
  END,
};

const struct coi_config_key coi_config_keys[] = {
  /* [container] */
  S ("container.image", "\"coi\"", 0, REFUSE, "Image alias to launch"),
  S ("container.storage_pool", "\"\"", 0, REFUSE, "Incus storage pool (empty: the default pool)"),
  B ("container.persistent", "false", 0, REFUSE, "Keep the container between sessions"),
  I ("container.shutdown_timeout", "60", 0, 3600, 0, LOWER, "Seconds to wait for a clean shutdown"),
  I ("container.ready_timeout", "30", 1, 3600, 0, LOWER, "Seconds to wait for the container to become ready"),
  I ("container.max_slots", "10", 1, 1000, 0, LOWER, "Parallel sessions (slots) per workspace"),
  S ("container.alias", NULL, 0, REFUSE, "Short name for the container"),
  EO ("container.stale_base_check", "\"warn\"", "error|warn|off", "error|warn|off", 0,
      "What to do when the image's base is outdated"),
  S ("container.session_name", NULL, 0, REFUSE, "Key the container and session store on this name"),
  B ("container.docker", "true", 0, OFF, "Allow Docker (nesting) inside the container"),
  S ("container.build.base", "\"coi\"", 0, REFUSE, "Base image for [container.build]"),
  S ("container.build.script", NULL, 0, REFUSE, "Build script run in the build container"),
  V ("container.build.commands", NULL, 0, REFUSE, "Inline build commands"),
  E ("container.build.compression", NULL, "none|gzip|xz", 0, REFUSE, "Image compression"),
  V ("container.build.agents", "[\"claude\"]", 0, REFUSE, "Agents installed in the image"),
  /* [defaults] */
  S ("defaults.model", "\"claude-sonnet-4-5\"", 0, ALLOW, "Default model"),
  S ("defaults.profile", NULL, 0, REFUSE, "Profile applied when --profile is not given"),
  V ("defaults.forward_env", NULL, 0, REFUSE, "Host environment variables passed into the container"),
  M ("defaults.environment", 0, REFUSE, "Environment variables set in the container"),
  M ("defaults.env_commands", 0, REFUSE, "Variables whose values come from host commands"),
  S ("defaults.env_command_timeout", "\"30s\"", CFG_K_DURATION, REFUSE, "Time limit for each env_commands command"),
  /* [paths] */
  S ("paths.sessions_dir", "\"~/.coi/sessions\"", CFG_K_PATH, REFUSE, "Saved sessions"),
  S ("paths.storage_dir", "\"~/.coi/storage\"", CFG_K_PATH, REFUSE, "Persistent storage"),
  S ("paths.logs_dir", "\"~/.coi/logs\"", CFG_K_PATH, REFUSE, "Logs"),
  B ("paths.preserve_workspace_path", "false", 0, REFUSE, "Mount the workspace at its host path, not /workspace"),
  /* [incus] */
  S ("incus.project", "\"default\"", 0, REFUSE, "Incus project"),
  S ("incus.group", "\"incus-admin\"", 0, REFUSE, "Group that may use Incus"),
  I ("incus.code_uid", "1000", 0, 4294967294LL, 0, REFUSE, "UID of the user in the container"),
  S ("incus.code_user", "\"code\"", 0, REFUSE, "Name of the user in the container"),
  B ("incus.disable_shift", "false", 0, REFUSE, "Disable UID shifting of the workspace"),
  /* [network] */
  EO ("network.mode", "\"restricted\"", "restricted|allowlist|open", "allowlist|restricted|open", 0, "Network policy"),
  B ("network.block_private_networks", "true", 0, ON, "Block RFC 1918 networks"),
  B ("network.block_metadata_endpoint", "true", 0, ON, "Block cloud metadata endpoints"),
  /* The npm registry host is added at run time from `npm config get registry`. */
  V ("network.allowed_domains", "[\"api.anthropic.com\", \"platform.claude.com\"]", CFG_K_NPM, CFG_TIGHTEN_SUBSET,
     "Domains and CIDRs reachable in allowlist mode"),
  I ("network.refresh_interval_minutes", "30", 1, 10080, 0, LOWER,
     "Allowlist: longest life of an address learned from DNS"),
  B ("network.allow_local_network_access", "false", 0, OFF, "Allow RFC 1918 networks"),
  B ("network.use_sudo", "false", 0, REFUSE, "Run firewall changes through sudo"),
  V ("network.dns_servers", NULL, 0, REFUSE, "DNS servers (restricted mode)"),
  IV ("network.allowed_ports", 1, 65535, 0, REFUSE, "Extra ports allowed out"),
  T ("network.hosts", host_fields, 0, REFUSE, "Extra /etc/hosts entries, allowed through the firewall"),
  B ("network.logging.enabled", "true", 0, ON, "Log blocked connections"),
  S ("network.logging.path", "\"~/.coi/logs/network.log\"", CFG_K_PATH, REFUSE, "Network log file"),
  /* [tool] */
  S ("tool.name", "\"claude\"", 0, REFUSE, "AI tool to run"),
  S ("tool.binary", "\"\"", 0, REFUSE, "Tool binary (empty: the tool name)"),
  B ("tool.auto_context", "true", 0, ALLOW, "Give the tool a context file about its sandbox"),
  EO ("tool.permission_mode", "\"bypass\"", "bypass|interactive", "interactive|bypass", 0, "Tool permission prompts"),
  S ("tool.context_file", NULL, 0, REFUSE, "Context file for the tool"),
  S ("tool.context_json", NULL, 0, ALLOW, "Context as inline JSON"),
  S ("tool.context_json_file", NULL, 0, REFUSE, "Context JSON file"),
  S ("tool.claude.effort_level", NULL, 0, ALLOW, "Claude effort level"),
  S ("tool.claude.model", NULL, 0, ALLOW, "Claude model"),
  S ("tool.codex.model", NULL, 0, ALLOW, "Codex model"),
  S ("tool.codex.reasoning_effort", NULL, 0, ALLOW, "Codex reasoning effort"),
  /* [[mounts.default]] */
  T ("mounts.default", mount_fields, CFG_K_UNION, CFG_TRUST_WORKSPACE, "Extra mounts"),
  /* [git] */
  B ("git.writable_hooks", "false", 0, OFF, "Let the container write .git/hooks"),
  S ("git.name", NULL, 0, REFUSE, "Git author name in the container"),
  S ("git.email", NULL, 0, REFUSE, "Git author email in the container"),
  B ("git.seed_host_identity", "true", 0, OFF, "Copy the host's git identity"),
  B ("git.readonly", "false", 0, ON, "Mount the git identity read-only"),
  /* [ssh] */
  B ("ssh.forward_agent", "false", 0, REFUSE, "Forward the SSH agent"),
  /* [security] */
  V ("security.protected_paths",
     "[\".git/hooks\", \".git/config\", \".git/config.worktree\", \".git/info/attributes\", \".husky\", "
     "\".vscode\", \".coi\", \".claude/settings.json\", \".claude/settings.local.json\"]",
     0, CFG_TIGHTEN_SUPERSET, "Workspace paths mounted read-only"),
  V ("security.additional_protected_paths", NULL, CFG_K_UNION, CFG_TIGHTEN_ADD, "More read-only workspace paths"),
  B ("security.host_immutable", "true", 0, ON, "Protect paths on the host side too"),
  B ("security.writable_agent_config", "false", 0, OFF, "Let the agent change its own settings"),
  B ("security.disable_protection", "false", 0, OFF, "Turn path protection off"),
  V ("security.writable_paths", NULL, 0, REFUSE, "Protected paths made writable"),
  V ("security.secret_paths", NULL, CFG_K_UNION, CFG_TIGHTEN_ADD, "Globs hidden behind empty read-only mounts"),
  B ("security.reduce_kernel_surface", "false", 0, ON, "Restrict syscalls and kernel interfaces"),
  B ("security.reduce_kernel_surface_strict", "false", 0, ON, "Stricter kernel surface reduction"),
  /* [limits] */
  S ("limits.cpu.count", "\"\"", 0, CFG_TIGHTEN_CPUS, "CPUs (e.g. \"2\" or \"0-3\")"),
  S ("limits.cpu.allowance", "\"\"", 0, CFG_TIGHTEN_ALLOWANCE, "CPU allowance (e.g. \"50%\")"),
  I ("limits.cpu.priority", "0", 0, 10, 0, NONZERO, "CPU priority"),
  S ("limits.memory.limit", "\"\"", 0, CFG_TIGHTEN_SIZE, "Memory limit (e.g. \"4GiB\")"),
  EO ("limits.memory.enforce", "\"soft\"", "soft|hard", "hard|soft", 0, "Memory limit enforcement"),
  S ("limits.memory.swap", "\"true\"", 0, CFG_TIGHTEN_SWAP, "Swap: \"true\", \"false\" or a size"),
  S ("limits.disk.read", "\"\"", 0, CFG_TIGHTEN_RATE, "Disk read limit"),
  S ("limits.disk.write", "\"\"", 0, CFG_TIGHTEN_RATE, "Disk write limit"),
  S ("limits.disk.max", "\"\"", 0, CFG_TIGHTEN_RATE, "Disk I/O limit"),
  I ("limits.disk.priority", "0", 0, 10, 0, NONZERO, "Disk priority"),
  S ("limits.disk.tmpfs_size", "\"\"", 0, CFG_TIGHTEN_SIZE, "Size of /tmp as tmpfs"),
  S ("limits.runtime.max_duration", "\"\"", 0, CFG_TIGHTEN_DURATION, "Session time limit (e.g. \"2h\")"),
  I ("limits.runtime.max_processes", "0", 0, 1000000, 0, NONZERO, "Process limit (0: none)"),
  B ("limits.runtime.auto_stop", "true", 0, ON, "Stop the container when the time limit is reached"),
  B ("limits.runtime.stop_graceful", "true", 0, OFF, "Stop gracefully"),
  /* [monitoring] */
  B ("monitoring.enabled", "false", 0, REFUSE, "Security monitoring"),
  B ("monitoring.auto_pause_on_high", "true", 0, REFUSE, "Pause the container on a HIGH finding"),
  B ("monitoring.auto_kill_on_critical", "true", 0, REFUSE, "Stop the container on a CRITICAL finding"),
  I ("monitoring.poll_interval_sec", "2", 1, 3600, 0, LOWER, "Poll interval"),
  F ("monitoring.file_read_threshold_mb", "50.0", 0, NONZERO, "Bulk read threshold"),
  F ("monitoring.file_read_rate_mb_per_sec", "10.0", 0, NONZERO, "Read rate threshold"),
  F ("monitoring.file_write_threshold_mb", "50.0", 0, NONZERO, "Bulk write threshold"),
  F ("monitoring.file_write_rate_mb_per_sec", "10.0", 0, NONZERO, "Write rate threshold"),
  I ("monitoring.audit_log_retention_days", "30", 0, 36500, 0, REFUSE, "Days audit logs are kept"),
  I ("monitoring.process_count_threshold", "100", 1, 1000000, 0, LOWER, "Process count threshold"),
  I ("monitoring.process_spawn_rate_threshold", "50", 1, 1000000, 0, LOWER, "Process spawn rate threshold"),
  F ("monitoring.network_egress_threshold_mb", "100.0", 0, NONZERO, "Bulk egress threshold per poll interval"),
  F ("monitoring.network_egress_rate_mb_per_sec", "20.0", 0, NONZERO, "Egress rate threshold"),
  I ("monitoring.dedupe_window_sec", "30", 1, 86400, 0, LOWER, "Seconds in which a repeated finding is folded"),
  B ("monitoring.nft.enabled", "false", 0, REFUSE, "Network monitoring through nftables"),
  I ("monitoring.nft.rate_limit_per_second", "100", 1, 1000000, 0, LOWER, "Connection rate threshold"),
  I ("monitoring.nft.dns_query_threshold", "100", 1, 1000000, 0, LOWER, "New DNS names a session may resolve per minute"),
  B ("monitoring.nft.log_dns_queries", "true", 0, ON, "Log every DNS query to the network log"),
  /* [shell] [timezone] [detection] */
  B ("shell.use_tmux", "true", 0, ALLOW, "Run the tool inside tmux"),
  E ("timezone.mode", "\"host\"", "host|fixed|utc", 0, ALLOW, "Container time zone"),
  S ("timezone.name", NULL, 0, ALLOW, "IANA zone for mode \"fixed\""),
  S ("detection.gtfobins_source", "\"https://github.com/GTFOBins/GTFOBins.github.io.git\"", 0, REFUSE,
     "GTFOBins repository"),
  S ("detection.gtfobins_dir", "\"~/.coi/gtfobins\"", CFG_K_PATH, REFUSE, "GTFOBins checkout"),
  S ("detection.sigma_source", "\"https://github.com/SigmaHQ/sigma.git\"", 0, REFUSE, "Sigma repository"),
  S ("detection.sigma_dir", "\"~/.coi/sigma\"", CFG_K_PATH, REFUSE, "Sigma checkout"),
  /* Devices */
  T ("sockets", socket_fields, CFG_K_UNION, REFUSE, "Host sockets proxied into the container"),
  S ("ports.pool", NULL, 0, REFUSE, "Host port range for published ports"),
  T ("ports.map", port_fields, CFG_K_UNION, REFUSE, "Published ports"),
  T ("credentials", credential_fields, CFG_K_UNION, REFUSE, "Credentials copied into the container"),
  END,
};

/* Older names (spec B.1) kept as synonyms. */
static const struct
{
  const char *alias, *key;
} aliases[] = {
  { "defaults.image", "container.image" },
  { "defaults.persistent", "container.persistent" },
};

static const struct coi_config_key *find_in (const struct coi_config_key *t, const char *key)
{
  for (const struct coi_config_key *k = t; k->key; k++)
    if (!strcmp (k->key, key))
      return k;
  return NULL;
}

const struct coi_config_key *coi_config_key_find (const char *key)
{
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (!strcmp (aliases[i].alias, key))
      key = aliases[i].key;
  return find_in (coi_config_keys, key);
}

static size_t distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  if (la > 63 || lb > 63)
    return 99;
  size_t row[64];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t up = row[j];
          size_t best = diag + (a[i - 1] != b[j - 1]);
          if (up + 1 < best)
            best = up + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          row[j] = best;
          diag = up;
        }
    }
  return row[lb];
}

const char *coi_config_key_suggest (const char *key)
{
  const char *best = NULL;
  size_t best_d = 99;
  const char *dot = strrchr (key, '.');
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      size_t d = distance (key, k->key);
      /* A known leaf name under another section is also a near miss. */
      const char *kdot = strrchr (k->key, '.');
      if (dot && kdot && !strcmp (dot, kdot) && d > 2)
        d = 3;
      if (d < best_d)
        {
          best_d = d;
          best = k->key;
        }
    }
  size_t limit = strlen (key) / 3 > 3 ? strlen (key) / 3 : 3;
  return best_d <= limit ? best : NULL;
}

const char *coi_config_trust_class (enum coi_config_trust t)
{
  switch (t)
    {
    case CFG_TRUST_UNSET: return "unclassified";
    case CFG_TRUST_REFUSE: return "refused";
    case CFG_TRUST_ALLOW: return "allowed";
    case CFG_TRUST_WORKSPACE: return "workspace only";
    default: return "tighten-only";
    }
}

void coi_config_env_name (const struct coi_config_key *k, char *buf, size_t size)
{
  size_t n = (size_t) snprintf (buf, size, "COI_");
  for (const char *p = k->key; *p && n + 1 < size; p++)
    buf[n++] = *p == '.' ? '_' : (char) toupper ((unsigned char) *p);
  buf[n < size ? n : size - 1] = '\0';
}
