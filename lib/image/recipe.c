#include "image/recipe.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/stage.h"

/* minbase plus CA certificates: apt inside the chroot may need https.  The
 * rest comes from the recipe, so that it is the same for every base. */
const char *const coi_debootstrap_options[] = {
  "--variant=minbase",
  "--include=ca-certificates",
  NULL,
};

/* Bump to throw away every cached tree (e.g. after a change in how coi
 * itself assembles them). */
#define RECIPE_EPOCH "coi-recipe-1"

const char *coi_host_arch (void)
{
  static struct utsname u; /* filled once; uname does not fail on Linux */
  if (u.machine[0] == '\0' && uname (&u) < 0)
    return "x86_64";
  return u.machine;
}

static int add (EVP_MD_CTX *md, const void *p, size_t n)
{
  /* Length-prefixed, so that ("ab","c") and ("a","bc") differ. */
  unsigned long long len = n;
  return EVP_DigestUpdate (md, &len, sizeof (len)) == 1 && EVP_DigestUpdate (md, p, n) == 1 ? 0
                                                                                          : -1;
}

static int add_str (EVP_MD_CTX *md, const char *s)
{
  return add (md, s, strlen (s));
}

int coi_recipe_key (const char *layer, const struct coi_stage *stage, char out[17],
                    coi_error_t *err)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  int bad = md == NULL || EVP_DigestInit_ex (md, EVP_sha256 (), NULL) != 1;
  bad = bad || add_str (md, RECIPE_EPOCH) < 0 || add_str (md, COI_IMAGE_SUITE) < 0
        || add_str (md, coi_host_arch ()) < 0;
  for (const char *const *o = coi_debootstrap_options; !bad && *o; o++)
    bad = add_str (md, *o) < 0;
  if (!bad && strcmp (layer, "rootfs") == 0)
    for (size_t i = 0; !bad && i < stage->n; i++)
      {
        const struct coi_stage_file *f = &stage->files[i];
        unsigned mode = (unsigned) f->mode;
        bad = add_str (md, f->path) < 0 || add (md, f->data, f->len) < 0
              || add (md, &mode, sizeof (mode)) < 0;
      }
  else if (!bad && strcmp (layer, "debootstrap") != 0)
    bad = 1;
  bad = bad || EVP_DigestFinal_ex (md, sum, &n) != 1 || n < 8;
  EVP_MD_CTX_free (md);
  if (bad)
    return coi_error_make (err, 0, "compute the %s cache key: failed", layer);
  for (int i = 0; i < 8; i++)
    snprintf (out + 2 * i, 3, "%02x", sum[i]);
  return 0;
}
