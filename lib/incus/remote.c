#include "incus/remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "util/cleanup.h"
#include "util/hostenv.h"

void incus_remote_info_clear (struct incus_remote_info *r)
{
  free (r->name);
  free (r->addr);
  free (r->protocol);
  free (r->project);
  memset (r, 0, sizeof (*r));
}

char *incus_config_dir (const char *const *env)
{
  const char *conf = coi_env_get (env, "INCUS_CONF");
  char *out = NULL;
  if (conf && *conf)
    return strdup (conf);
  const char *xdg = coi_env_get (env, "XDG_CONFIG_HOME");
  if (xdg && *xdg)
    return asprintf (&out, "%s/incus", xdg) < 0 ? NULL : out;
  const char *home = coi_env_get (env, "HOME");
  if (home == NULL || *home == '\0')
    return NULL;
  return asprintf (&out, "%s/.config/incus", home) < 0 ? NULL : out;
}

char *incus_local_socket (const char *const *env)
{
  const char *s = coi_env_get (env, "INCUS_SOCKET");
  char *out = NULL;
  if (s && *s)
    return strdup (s);
  const char *dir = coi_env_get (env, "INCUS_DIR");
  if (dir && *dir)
    return asprintf (&out, "%s/unix.socket", dir) < 0 ? NULL : out;
  return strdup ("/var/lib/incus/unix.socket");
}

static const char *scalar (yaml_document_t *doc, yaml_node_t *n)
{
  if (n == NULL || n->type != YAML_SCALAR_NODE)
    return NULL;
  (void) doc;
  return (const char *) n->data.scalar.value;
}

static yaml_node_t *map_get (yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      const char *k = scalar (doc, yaml_document_get_node (doc, p->key));
      if (k && strcmp (k, key) == 0)
        return yaml_document_get_node (doc, p->value);
    }
  return NULL;
}

static int set_builtin (const char *name, struct incus_remote_info *out)
{
  memset (out, 0, sizeof (*out));
  if (strcmp (name, "local") == 0)
    {
      out->name = strdup ("local");
      out->addr = strdup ("unix://");
      out->protocol = strdup ("incus");
    }
  else if (strcmp (name, "images") == 0)
    {
      out->name = strdup ("images");
      out->addr = strdup ("https://images.linuxcontainers.org");
      out->protocol = strdup ("simplestreams");
      out->is_public = 1;
    }
  else
    return 0;
  return out->name && out->addr && out->protocol ? 1 : -1;
}

static int load_config (const char *const *env, yaml_document_t *doc, int *loaded, coi_error_t *err)
{
  _cleanup_free_ char *dir = incus_config_dir (env);
  _cleanup_free_ char *path = NULL;
  *loaded = 0;
  if (dir == NULL || asprintf (&path, "%s/config.yml", dir) < 0)
    return 0;
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  if (f == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return coi_error_errno (err, errno, "read Incus client config %s", path);
    }
  yaml_parser_t parser;
  if (!yaml_parser_initialize (&parser))
    return coi_error_make (err, 0, "read Incus client config %s: out of memory", path);
  yaml_parser_set_input_file (&parser, f);
  if (!yaml_parser_load (&parser, doc))
    {
      coi_error_make (err, 0, "read Incus client config %s:%zu: %s", path,
                      parser.problem_mark.line + 1,
                      parser.problem ? parser.problem : "invalid YAML");
      yaml_parser_delete (&parser);
      return -1;
    }
  yaml_parser_delete (&parser);
  *loaded = 1;
  return 0;
}

int incus_remote_lookup (const char *name, const char *const *env, struct incus_remote_info *out,
                         coi_error_t *err)
{
  yaml_document_t doc;
  int loaded = 0;
  memset (out, 0, sizeof (*out));
  if (load_config (env, &doc, &loaded, err) < 0)
    return -1;

  yaml_node_t *root = loaded ? yaml_document_get_root_node (&doc) : NULL;
  if (name == NULL || *name == '\0')
    name = scalar (&doc, map_get (&doc, root, "default-remote"));
  if (name == NULL || *name == '\0')
    name = "local";

  int r = 0;
  yaml_node_t *entry = map_get (&doc, map_get (&doc, root, "remotes"), name);
  if (entry && entry->type == YAML_MAPPING_NODE)
    {
      const char *addr = scalar (&doc, map_get (&doc, entry, "addr"));
      const char *proto = scalar (&doc, map_get (&doc, entry, "protocol"));
      const char *project = scalar (&doc, map_get (&doc, entry, "project"));
      const char *pub = scalar (&doc, map_get (&doc, entry, "public"));
      out->name = strdup (name);
      out->addr = strdup (addr ? addr : "");
      out->protocol = strdup (proto && *proto ? proto : "incus");
      out->project = project && *project ? strdup (project) : NULL;
      out->is_public = pub && strcmp (pub, "true") == 0;
      if (out->name == NULL || out->addr == NULL || out->protocol == NULL)
        r = coi_error_errno (err, ENOMEM, "read Incus remote '%s'", name);
    }
  else
    {
      int b = set_builtin (name, out);
      if (b < 0)
        r = coi_error_errno (err, ENOMEM, "read Incus remote '%s'", name);
      else if (b == 0)
        {
          r = coi_error_make (err, ENOENT, "Incus remote '%s' is not configured", name);
          coi_error_set_hint (err, "list remotes with `incus remote list`");
        }
    }
  if (loaded)
    yaml_document_delete (&doc);
  if (r < 0)
    incus_remote_info_clear (out);
  return r;
}

int incus_remote_resolve (const char *name, const char *const *env, struct incus_endpoint *ep,
                          coi_error_t *err)
{
  struct incus_remote_info info;
  memset (ep, 0, sizeof (*ep));
  /* An explicit socket in the environment wins over a default remote. */
  if ((name == NULL || *name == '\0') && (coi_env_get (env, "INCUS_SOCKET") || coi_env_get (env, "INCUS_DIR")))
    name = "local";
  if (incus_remote_lookup (name, env, &info, err) < 0)
    return -1;

  int r = 0;
  if (strncmp (info.addr, "unix://", 7) == 0)
    {
      ep->name = strdup (info.name);
      ep->unix_path = info.addr[7] ? strdup (info.addr + 7) : incus_local_socket (env);
      if (ep->name == NULL || ep->unix_path == NULL)
        r = coi_error_errno (err, ENOMEM, "resolve Incus remote '%s'", info.name);
    }
  else if (strncmp (info.addr, "https://", 8) == 0)
    {
      if (strcmp (info.protocol, "incus") != 0)
        r = coi_error_make (err, EINVAL,
                            "Incus remote '%s' is an image server (%s), not an API server",
                            info.name, info.protocol);
      else
        {
          _cleanup_free_ char *dir = incus_config_dir (env);
          ep->name = strdup (info.name);
          ep->url = strdup (info.addr);
          if (dir == NULL || ep->name == NULL || ep->url == NULL
              || asprintf (&ep->client_cert, "%s/client.crt", dir) < 0
              || asprintf (&ep->client_key, "%s/client.key", dir) < 0
              || asprintf (&ep->server_cert, "%s/servercerts/%s.crt", dir, info.name) < 0)
            r = coi_error_errno (err, ENOMEM, "resolve Incus remote '%s'", info.name);
          else if (access (ep->server_cert, R_OK) < 0)
            {
              /* No stored certificate means the system CA store decides (a
                 public remote with a real certificate). */
              free (ep->server_cert);
              ep->server_cert = NULL;
            }
        }
    }
  else
    r = coi_error_make (err, EINVAL, "Incus remote '%s' has an unsupported address '%s'",
                        info.name, info.addr);
  incus_remote_info_clear (&info);
  if (r < 0)
    incus_endpoint_clear (ep);
  return r;
}
