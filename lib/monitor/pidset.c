#include "monitor/pidset.h"

#include <stdlib.h>
#include <string.h>

#define DELETED ((pid_t) -1)

static size_t hash (pid_t pid, size_t cap)
{
  return ((size_t) (unsigned) pid * 2654435761u) & (cap - 1);
}

void coi_pidset_free (struct coi_pidset *s)
{
  free (s->slots);
  memset (s, 0, sizeof *s);
}

void coi_pidset_reset (struct coi_pidset *s)
{
  if (s->slots)
    memset (s->slots, 0, s->cap * sizeof *s->slots);
  s->used = s->live = 0;
}

static int grow (struct coi_pidset *s)
{
  size_t ncap = s->cap ? s->cap * 2 : 256;
  /* Mostly tombstones: rehash at the same size. */
  if (s->cap && s->live * 4 < s->cap)
    ncap = s->cap;
  pid_t *old = s->slots;
  size_t ocap = s->cap;
  s->slots = calloc (ncap, sizeof *s->slots);
  if (s->slots == NULL)
    {
      s->slots = old;
      return -1;
    }
  s->cap = ncap;
  s->used = s->live = 0;
  for (size_t i = 0; i < ocap; i++)
    if (old[i] > 0)
      coi_pidset_add (s, old[i]);
  free (old);
  return 0;
}

int coi_pidset_add (struct coi_pidset *s, pid_t pid)
{
  if (pid <= 0)
    return 0;
  if ((s->used + 1) * 2 > s->cap && grow (s) < 0)
    return -1;
  size_t i = hash (pid, s->cap), tomb = s->cap;
  for (;;)
    {
      if (s->slots[i] == pid)
        return 0;
      if (s->slots[i] == DELETED && tomb == s->cap)
        tomb = i;
      if (s->slots[i] == 0)
        break;
      i = (i + 1) & (s->cap - 1);
    }
  if (tomb != s->cap)
    i = tomb;
  else
    s->used++;
  s->slots[i] = pid;
  s->live++;
  return 0;
}

static size_t find (const struct coi_pidset *s, pid_t pid)
{
  if (s->cap == 0 || pid <= 0)
    return (size_t) -1;
  for (size_t i = hash (pid, s->cap), n = 0; n < s->cap; i = (i + 1) & (s->cap - 1), n++)
    {
      if (s->slots[i] == pid)
        return i;
      if (s->slots[i] == 0)
        break;
    }
  return (size_t) -1;
}

bool coi_pidset_has (const struct coi_pidset *s, pid_t pid)
{
  return find (s, pid) != (size_t) -1;
}

void coi_pidset_del (struct coi_pidset *s, pid_t pid)
{
  size_t i = find (s, pid);
  if (i == (size_t) -1)
    return;
  s->slots[i] = DELETED;
  s->live--;
}
