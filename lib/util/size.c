#include "util/size.h"

#include <stdio.h>
#include <string.h>

bool coi_parse_size (const char *s, unsigned long long *bytes)
{
  static const struct
  {
    const char *unit;
    unsigned long long mul;
  } units[] = {
    { "", 1 },           { "B", 1 },
    { "K", 1ull << 10 }, { "KiB", 1ull << 10 }, { "kB", 1000ull },
    { "M", 1ull << 20 }, { "MiB", 1ull << 20 }, { "MB", 1000ull * 1000 },
    { "G", 1ull << 30 }, { "GiB", 1ull << 30 }, { "GB", 1000ull * 1000 * 1000 },
    { "T", 1ull << 40 }, { "TiB", 1ull << 40 }, { "TB", 1000ull * 1000 * 1000 * 1000 },
  };
  if (s == NULL)
    return false;
  size_t digits = strspn (s, "0123456789");
  if (digits == 0 || digits > 20)
    return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < digits; i++)
    {
      unsigned d = (unsigned) (s[i] - '0');
      if (v > (~0ull - d) / 10)
        return false;
      v = v * 10 + d;
    }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (s + digits, units[i].unit) == 0)
      {
        if (v != 0 && units[i].mul > ~0ull / v)
          return false;
        *bytes = v * units[i].mul;
        return true;
      }
  return false;
}

const char *coi_size_str (unsigned long long bytes, char out[32])
{
  static const char *const names[] = { "TiB", "GiB", "MiB", "KiB" };
  for (int i = 0; i < 4; i++)
    {
      unsigned long long unit = 1ull << (10 * (4 - i));
      if (bytes >= unit && bytes % unit == 0)
        {
          snprintf (out, 32, "%llu %s", bytes / unit, names[i]);
          return out;
        }
    }
  snprintf (out, 32, "%llu bytes", bytes);
  return out;
}
