/* What a program is, whatever it is called: ELF build-ids from synthetic and
 * hostile headers, identities of real files and their copies, and the
 * catalog of a root directory's shells (symlinks resolved inside it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <elf.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/exeid.h"
#include "util/cleanup.h"

static const uint8_t BUILD_ID[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static size_t put_note (uint8_t *b, uint32_t type, const char *name, const uint8_t *desc, uint32_t descsz,
                        size_t align)
{
  Elf64_Nhdr nh = { (uint32_t) strlen (name) + 1, descsz, type };
  memcpy (b, &nh, sizeof nh);
  size_t off = sizeof nh;
  memcpy (b + off, name, nh.n_namesz);
  off += (nh.n_namesz + align - 1) / align * align;
  memcpy (b + off, desc, descsz);
  off += (descsz + align - 1) / align * align;
  return off;
}

/* An ELF64 header, a PT_LOAD and a PT_NOTE holding a property note and the
 * build-id, the way ld lays them out. */
static size_t make_elf (uint8_t *b, size_t cap, size_t align)
{
  memset (b, 0, cap);
  Elf64_Ehdr eh = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_phoff = sizeof eh,
                    .e_ehsize = sizeof eh, .e_phentsize = sizeof (Elf64_Phdr), .e_phnum = 2 };
  memcpy (eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  memcpy (b, &eh, sizeof eh);
  size_t notes = 0x200;
  uint8_t prop[16] = { 2, 0, 0, 0xc0, 4, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
  size_t len = put_note (b + notes, 5 /* NT_GNU_PROPERTY_TYPE_0 */, "GNU", prop, sizeof prop, align);
  len += put_note (b + notes + len, NT_GNU_BUILD_ID, "GNU", BUILD_ID, sizeof BUILD_ID, align);
  Elf64_Phdr ph[2] = { { .p_type = PT_LOAD, .p_filesz = 0x1000, .p_align = 0x1000 },
                       { .p_type = PT_NOTE, .p_offset = notes, .p_filesz = len, .p_align = align } };
  memcpy (b + sizeof eh, ph, sizeof ph);
  return notes + len;
}

static void test_build_id (void **state)
{
  (void) state;
  uint8_t b[1024];
  for (size_t align = 4; align <= 8; align += 4)
    {
      size_t n = make_elf (b, sizeof b, align);
      struct coi_exe_id id;
      coi_exe_id_parse (b, n, 12345, &id);
      assert_int_equal (id.build_id_len, sizeof BUILD_ID);
      assert_memory_equal (id.build_id, BUILD_ID, sizeof BUILD_ID);
      assert_int_equal (id.size, 12345);
      /* Every truncation: no read past the end, a build-id only when all of it was there. */
      for (size_t cut = 0; cut < n; cut++)
        {
          _cleanup_free_ uint8_t *t = malloc (cut ? cut : 1);
          memcpy (t, b, cut);
          coi_exe_id_parse (t, cut, 12345, &id);
          assert_int_equal (id.build_id_len, 0);
        }
    }
}

static void test_hostile_headers (void **state)
{
  (void) state;
  uint8_t b[1024];
  size_t n = make_elf (b, sizeof b, 4);
  struct coi_exe_id id;
  Elf64_Ehdr eh;
  Elf64_Phdr ph;
  Elf64_Nhdr nh;
  uint8_t c[1024];

  /* A program header table far beyond the bytes read, or absurdly many entries. */
  memcpy (c, b, n);
  memcpy (&eh, c, sizeof eh);
  eh.e_phoff = ~0ULL - 8;
  memcpy (c, &eh, sizeof eh);
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);
  memcpy (c, b, n);
  eh.e_phoff = sizeof eh;
  eh.e_phnum = 0xffff;
  eh.e_phentsize = 0;
  memcpy (c, &eh, sizeof eh);
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);
  eh.e_phentsize = 0xffff;
  memcpy (c, &eh, sizeof eh);
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);

  /* A note segment past the end, and one whose size wraps. */
  memcpy (c, b, n);
  memcpy (&ph, c + sizeof eh + sizeof ph, sizeof ph);
  ph.p_offset = ~0ULL - 4;
  memcpy (c + sizeof eh + sizeof ph, &ph, sizeof ph);
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);
  ph.p_offset = 0x200;
  ph.p_filesz = ~0ULL;
  memcpy (c + sizeof eh + sizeof ph, &ph, sizeof ph);
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);

  /* Notes whose name or description sizes run off the segment. */
  uint32_t sizes[] = { 0xffffffffu, 0xfffffffdu, 0x7fffffffu, 4096 };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    for (int which = 0; which < 2; which++)
      {
        memcpy (c, b, n);
        memcpy (&nh, c + 0x200, sizeof nh);
        if (which)
          nh.n_descsz = sizes[i];
        else
          nh.n_namesz = sizes[i];
        memcpy (c + 0x200, &nh, sizeof nh);
        coi_exe_id_parse (c, n, 1, &id);
        assert_int_equal (id.build_id_len, 0);
      }
  /* Another byte order: ignored. */
  memcpy (c, b, n);
  c[EI_DATA] = ELFDATA2MSB;
  coi_exe_id_parse (c, n, 1, &id);
  assert_int_equal (id.build_id_len, 0);
  /* Not ELF at all (a script): only size and head hash. */
  coi_exe_id_parse ("#!/bin/sh\necho hi\n", 18, 18, &id);
  assert_int_equal (id.build_id_len, 0);
  assert_int_not_equal (id.head_hash, 0);
}

static void test_same (void **state)
{
  (void) state;
  uint8_t b[1024];
  size_t n = make_elf (b, sizeof b, 4);
  struct coi_exe_id a, x;
  coi_exe_id_parse (b, n, 5000, &a);
  /* Same build-id, other bytes (another size, a patched string): the same build. */
  b[0x100] = 0x55;
  coi_exe_id_parse (b, n, 6000, &x);
  assert_true (coi_exe_id_same (&a, &x));
  /* Another build-id: another program. */
  b[0x200 + 48] ^= 0xff;
  coi_exe_id_parse (b, n, 5000, &x);
  assert_int_equal (x.build_id_len, sizeof BUILD_ID);
  assert_false (coi_exe_id_same (&a, &x));
  /* Without build-ids: size and head hash. */
  struct coi_exe_id s1, s2;
  coi_exe_id_parse ("#!/bin/sh\n", 10, 10, &s1);
  coi_exe_id_parse ("#!/bin/sh\n", 10, 10, &s2);
  assert_true (coi_exe_id_same (&s1, &s2));
  coi_exe_id_parse ("#!/bin/sh\n", 10, 11, &s2);
  assert_false (coi_exe_id_same (&s1, &s2));
  coi_exe_id_parse ("#!/bin/sH\n", 10, 10, &s2);
  assert_false (coi_exe_id_same (&s1, &s2));
  /* One side with a build-id, the other without: not the same. */
  assert_false (coi_exe_id_same (&a, &s1));
  struct coi_exe_id empty;
  coi_exe_id_parse ("", 0, 0, &empty);
  assert_false (coi_exe_id_same (&empty, &empty));
}

static void copy_file (const char *from, const char *to)
{
  _cleanup_close_ int in = open (from, O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  assert_true (in >= 0 && out >= 0);
  char buf[65536];
  ssize_t r;
  while ((r = read (in, buf, sizeof buf)) > 0)
    assert_int_equal (write (out, buf, (size_t) r), r);
  assert_int_equal (r, 0);
}

static int rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st, (void) flag, (void) ftw;
  return remove (path);
}

static int id_of (const char *path, struct coi_exe_id *id)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -1 : coi_exe_id_fd (fd, id);
}

/* The temporary root goes even when an assertion fails. */
static int make_tmp (void **state)
{
  static char tmp[64];
  snprintf (tmp, sizeof tmp, "/tmp/coi-test-exeid.XXXXXX");
  *state = mkdtemp (tmp);
  return *state ? 0 : -1;
}

static int remove_tmp (void **state)
{
  return nftw (*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_catalog (void **state)
{
  const char *tmp = *state;
  char p[512], q[512];
#define AT(buf, rel) (snprintf (buf, sizeof buf, "%s/%s", tmp, rel), buf)
  assert_int_equal (mkdir (AT (p, "root"), 0755), 0);
  assert_int_equal (mkdir (AT (p, "root/usr"), 0755), 0);
  assert_int_equal (mkdir (AT (p, "root/usr/bin"), 0755), 0);
  assert_int_equal (symlink ("usr/bin", AT (p, "root/bin")), 0);
  copy_file ("/bin/bash", AT (p, "root/usr/bin/bash"));
  copy_file ("/bin/ls", AT (p, "root/usr/bin/ls"));
  /* Absolute and climbing links resolve inside the root, never on the host. */
  assert_int_equal (symlink ("/usr/bin/bash", AT (p, "root/usr/bin/sh")), 0);
  assert_int_equal (symlink ("/bin/ls", AT (p, "root/usr/bin/perl")), 0); /* ls under a shell's name */
  assert_int_equal (symlink ("/etc/hostname", AT (p, "root/usr/bin/python3")), 0);
  assert_int_equal (symlink ("../../../../../../../../bin/dash", AT (p, "root/usr/bin/dash")), 0);
  /* Neither a FIFO nor a directory is opened for reading (a FIFO would block). */
  assert_int_equal (mkfifo (AT (p, "root/usr/bin/ruby"), 0644), 0);
  assert_int_equal (mkdir (AT (p, "root/usr/bin/node"), 0755), 0);

  _cleanup_close_ int rootfd = open (AT (p, "root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (rootfd >= 0);
  struct coi_exe_catalog c = { 0 };
  coi_error_t err = NULL;
  /* bash (and sh, the same program) and the ls called perl. */
  assert_int_equal (coi_exe_catalog_scan (&c, rootfd, &err), 2);
  assert_int_equal (c.n, 2);

  /* A renamed copy of bash elsewhere is bash; the host's bash too (same build). */
  copy_file ("/bin/bash", AT (q, "kworker"));
  struct coi_exe_id id;
  assert_int_equal (id_of (q, &id), 0);
  const struct coi_exe_ref *r = coi_exe_catalog_find (&c, &id);
  assert_non_null (r);
  assert_string_equal (r->path, "/usr/bin/bash");
  assert_int_equal (id_of ("/bin/bash", &id), 0);
  assert_non_null (coi_exe_catalog_find (&c, &id));
  /* The host's dash was not reached through the climbing link. */
  if (id_of ("/bin/dash", &id) == 0)
    assert_null (coi_exe_catalog_find (&c, &id));
  if (id_of ("/bin/true", &id) == 0)
    assert_null (coi_exe_catalog_find (&c, &id));

  /* Reading again adds nothing new; a deleted shell stays known. */
  assert_int_equal (coi_exe_catalog_scan (&c, rootfd, &err), 0);
  assert_int_equal (unlink (AT (p, "root/usr/bin/bash")), 0);
  assert_int_equal (coi_exe_catalog_scan (&c, rootfd, &err), 0);
  assert_int_equal (id_of (q, &id), 0);
  assert_non_null (coi_exe_catalog_find (&c, &id));
  assert_null (err);

  /* What runs: this test's own exe is not a shell; a missing pid fails. */
  assert_int_equal (coi_exe_id_pid (getpid (), &id), 0);
  assert_null (coi_exe_catalog_find (&c, &id));
  assert_int_equal (coi_exe_id_pid (0x7ffffff0, &id), -1);
  coi_exe_catalog_free (&c);
#undef AT
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_build_id),
    cmocka_unit_test (test_hostile_headers),
    cmocka_unit_test (test_same),
    cmocka_unit_test_setup_teardown (test_catalog, make_tmp, remove_tmp),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
