#include "monitor/exeid.h"

#include <dirent.h>
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/proc.h"
#include "util/cleanup.h"

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

static uint64_t fnv1a (const uint8_t *p, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* One PT_NOTE segment's notes, [off, off+len) of b; the GNU build-id into id. */
static void scan_notes (const uint8_t *b, size_t off, size_t len, size_t align, struct coi_exe_id *id)
{
  size_t end = off + len;
  while (end - off >= sizeof (Elf32_Nhdr))
    {
      Elf32_Nhdr nh; /* Elf64_Nhdr has the same layout */
      memcpy (&nh, b + off, sizeof nh);
      off += sizeof nh;
      size_t name_sz = ((size_t) nh.n_namesz + align - 1) / align * align;
      size_t desc_sz = ((size_t) nh.n_descsz + align - 1) / align * align;
      if (name_sz > end - off || desc_sz > end - off - name_sz)
        return;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp (b + off, "GNU", 4) == 0 && nh.n_descsz > 0
          && nh.n_descsz <= sizeof id->build_id)
        {
          memcpy (id->build_id, b + off + name_sz, nh.n_descsz);
          id->build_id_len = nh.n_descsz;
          return;
        }
      off += name_sz + desc_sz;
    }
}

/* The program headers of an ELF file of the host's byte order, 32 or 64 bit. */
static void find_build_id (const uint8_t *b, size_t n, struct coi_exe_id *id)
{
  if (n < EI_NIDENT || memcmp (b, ELFMAG, SELFMAG) != 0 || b[EI_DATA] != HOST_ELFDATA)
    return;
  bool is64 = b[EI_CLASS] == ELFCLASS64;
  if (!is64 && b[EI_CLASS] != ELFCLASS32)
    return;
  uint64_t phoff;
  size_t phentsize, phnum, need;
  if (is64)
    {
      Elf64_Ehdr eh;
      if (n < sizeof eh)
        return;
      memcpy (&eh, b, sizeof eh);
      phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum, need = sizeof (Elf64_Phdr);
    }
  else
    {
      Elf32_Ehdr eh;
      if (n < sizeof eh)
        return;
      memcpy (&eh, b, sizeof eh);
      phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum, need = sizeof (Elf32_Phdr);
    }
  if (phentsize < need || phoff > n)
    return;
  for (size_t i = 0; i < phnum && id->build_id_len == 0; i++)
    {
      if ((n - phoff) / phentsize <= i)
        return; /* the rest lies beyond what was read */
      const uint8_t *ph = b + phoff + i * phentsize;
      uint64_t type, off, len, align;
      if (is64)
        {
          Elf64_Phdr p;
          memcpy (&p, ph, sizeof p);
          type = p.p_type, off = p.p_offset, len = p.p_filesz, align = p.p_align;
        }
      else
        {
          Elf32_Phdr p;
          memcpy (&p, ph, sizeof p);
          type = p.p_type, off = p.p_offset, len = p.p_filesz, align = p.p_align;
        }
      if (type != PT_NOTE || off > n || len > n - off)
        continue;
      scan_notes (b, (size_t) off, (size_t) len, align == 8 ? 8 : 4, id);
    }
}

void coi_exe_id_parse (const void *head, size_t n, off_t size, struct coi_exe_id *id)
{
  memset (id, 0, sizeof *id);
  if (n > COI_EXE_HEAD)
    n = COI_EXE_HEAD;
  id->size = size;
  id->head_hash = fnv1a (head, n);
  find_build_id (head, n, id);
}

bool coi_exe_id_same (const struct coi_exe_id *a, const struct coi_exe_id *b)
{
  if (a->build_id_len || b->build_id_len)
    return a->build_id_len == b->build_id_len && memcmp (a->build_id, b->build_id, a->build_id_len) == 0;
  return a->size > 0 && a->size == b->size && a->head_hash == b->head_hash;
}

int coi_exe_id_fd (int fd, struct coi_exe_id *id)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return -1;
  if (!S_ISREG (st.st_mode))
    {
      errno = EINVAL;
      return -1;
    }
  _cleanup_free_ uint8_t *head = malloc (COI_EXE_HEAD);
  if (head == NULL)
    return -1;
  size_t n = 0;
  while (n < COI_EXE_HEAD)
    {
      ssize_t r = pread (fd, head + n, COI_EXE_HEAD - n, (off_t) n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      n += (size_t) r;
    }
  coi_exe_id_parse (head, n, st.st_size, id);
  return 0;
}

/* Reading must not touch the container's atimes; O_NOATIME is refused for
 * files of other owners without CAP_FOWNER. */
static int open_read (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = open (path, O_RDONLY | O_CLOEXEC);
  return fd;
}

int coi_exe_id_pid (pid_t pid, struct coi_exe_id *id)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/exe", (int) pid);
  _cleanup_close_ int fd = open_read (path);
  if (fd < 0)
    return -1;
  return coi_exe_id_fd (fd, id);
}

/* rel beneath rootfd with every symlink resolved inside it (RESOLVE_IN_ROOT):
 * a link planted in the container must not lead to a file of the host.  An
 * O_PATH open first, so that nothing but a regular file or a directory (no
 * FIFO, no device) is ever really opened. */
static int open_in_root (int rootfd, const char *rel, bool dir)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  _cleanup_close_ int pfd = (int) syscall (SYS_openat2, rootfd, rel, &how, sizeof how);
  struct stat st;
  if (pfd < 0 || fstat (pfd, &st) < 0)
    return -1;
  if (dir ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode))
    {
      errno = EINVAL;
      return -1;
    }
  char self[64];
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  return dir ? open (self, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : open_read (self);
}

static bool is_loader (const char *name)
{
  return strncmp (name, "ld-linux", 8) == 0 || strncmp (name, "ld-musl", 7) == 0;
}

static struct coi_exe_ref *find (const struct coi_exe_catalog *c, const struct coi_exe_id *id)
{
  for (size_t i = 0; i < c->n; i++)
    if (coi_exe_id_same (&c->v[i].id, id))
      return &c->v[i];
  return NULL;
}

const struct coi_exe_ref *coi_exe_catalog_find (const struct coi_exe_catalog *c, const struct coi_exe_id *id)
{
  return find (c, id);
}

static void set_path (struct coi_exe_ref *r, const char *rel, bool via_link)
{
  /* A long name is cut: the path only tells a reader what matched. */
  r->path[0] = '/';
  size_t n = strnlen (rel, sizeof r->path - 2);
  memcpy (r->path + 1, rel, n);
  r->path[n + 1] = '\0';
  r->via_link = via_link;
}

static int add (struct coi_exe_catalog *c, const struct coi_exe_id *id, const char *rel, bool via_link)
{
  struct coi_exe_ref *known = find (c, id);
  if (known && known->via_link && !via_link)
    set_path (known, rel, false);
  if (known || c->n >= COI_EXE_CATALOG_MAX)
    return 0;
  if (c->n == c->cap)
    {
      size_t nc = c->cap ? c->cap * 2 : 32;
      struct coi_exe_ref *nv = realloc (c->v, nc * sizeof *nv);
      if (nv == NULL)
        return -1;
      c->v = nv;
      c->cap = nc;
    }
  struct coi_exe_ref *r = &c->v[c->n++];
  r->id = *id;
  set_path (r, rel, via_link);
  return 1;
}

int coi_exe_catalog_scan (struct coi_exe_catalog *c, int rootfd, coi_error_t *err)
{
  /* bin and usr/bin are one directory on merged-/usr systems: read it once. */
  static const char *const dirs[] = { "usr/bin", "bin", "usr/local/bin", "usr/sbin", "sbin",
                                      "lib64", "usr/lib64", "lib", "usr/lib" };
  struct
  {
    dev_t dev;
    ino_t ino;
  } seen[sizeof dirs / sizeof dirs[0]];
  size_t nseen = 0;
  int added = 0;
  for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++)
    {
      int dfd = open_in_root (rootfd, dirs[d], true);
      struct stat st;
      if (dfd < 0)
        continue;
      if (fstat (dfd, &st) < 0)
        {
          close (dfd);
          continue;
        }
      bool dup = false;
      for (size_t i = 0; i < nseen; i++)
        dup |= seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
      if (dup)
        {
          close (dfd);
          continue;
        }
      seen[nseen].dev = st.st_dev;
      seen[nseen++].ino = st.st_ino;
      _cleanup_closedir_ DIR *dir = fdopendir (dfd);
      if (dir == NULL)
        {
          close (dfd);
          continue;
        }
      struct dirent *e;
      while ((e = readdir (dir)) != NULL)
        {
          if (e->d_name[0] == '.' || !(coi_name_is_shell (e->d_name) || is_loader (e->d_name)))
            continue;
          char rel[320];
          snprintf (rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
          _cleanup_close_ int fd = open_in_root (rootfd, rel, false);
          struct coi_exe_id id;
          if (fd < 0 || coi_exe_id_fd (fd, &id) < 0)
            continue;
          int r = add (c, &id, rel, e->d_type != DT_REG);
          if (r < 0)
            return coi_error_errno (err, ENOMEM, "list the container's shells");
          added += r;
        }
    }
  return added;
}

void coi_exe_catalog_free (struct coi_exe_catalog *c)
{
  free (c->v);
  memset (c, 0, sizeof *c);
}
