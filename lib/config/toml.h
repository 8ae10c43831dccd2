/* A TOML 1.0.0 parser producing an ordered tree in which every value
 * remembers where it came from (file, line, column), because
 * `coi config show` prints the origin of each setting. */
#ifndef COI_CONFIG_TOML_H
#define COI_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Arrays and tables nest at most this deep, so no input exhausts the stack. */
#define TOML_MAX_DEPTH 128

enum toml_type
{
  TOML_STRING,
  TOML_INTEGER,
  TOML_FLOAT,
  TOML_BOOL,
  TOML_DATETIME,       /* offset date-time */
  TOML_DATETIME_LOCAL, /* local date-time */
  TOML_DATE_LOCAL,
  TOML_TIME_LOCAL,
  TOML_ARRAY,
  TOML_TABLE,
};

/* Table and array flags, which enforce the redefinition rules. */
enum
{
  TOML_F_INLINE = 1 << 0, /* inline table / static array: closed to later additions */
  TOML_F_HEADER = 1 << 1, /* defined by a [header] (or a [[header]] element) */
  TOML_F_DOTTED = 1 << 2, /* defined or extended by dotted keys */
  TOML_F_AOT = 1 << 3,    /* array created by [[header]] */
};

struct toml_datetime
{
  int year, month, day;
  int hour, minute, second;
  int nanosecond;
  int frac_digits; /* digits written after the '.', 0 if none (at most 9 kept) */
  int offset_min;  /* TOML_DATETIME only; minutes east of UTC */
  bool offset_z;   /* written as Z rather than +00:00 */
};

/* The file name is shared by every value parsed from one input. */
struct toml_src
{
  unsigned refs;
  char name[];
};

struct toml_origin
{
  struct toml_src *src; /* NULL for values built in code */
  int line, col;
};

struct toml_value;

struct toml_kv
{
  char *key;
  size_t keylen; /* keys may hold NUL through \u0000 */
  struct toml_value *value;
};

struct toml_value
{
  enum toml_type type;
  unsigned flags;
  int depth; /* nesting depth of containers, root = 0 */
  struct toml_origin origin;
  union
  {
    struct
    {
      char *ptr; /* NUL-terminated; may also contain NUL */
      size_t len;
    } s;
    int64_t i;
    double f;
    bool b;
    struct toml_datetime dt;
    struct
    {
      struct toml_value **items;
      size_t n, cap;
    } arr;
    struct
    {
      struct toml_kv *items;
      size_t n, cap;
      size_t *index; /* open-addressing hash of item positions + 1, for big tables */
      size_t index_cap;
    } tab;
  } u;
};

/* Parse a whole document.  `name` is used in error messages and origins
 * ("~/.coi/config.toml").  Errors read "<name>:<line>:<col>: <what>". */
int toml_parse (const char *data, size_t len, const char *name, struct toml_value **out,
                coi_error_t *err);
int toml_parse_file (const char *path, const char *display_name, struct toml_value **out,
                     coi_error_t *err);

void toml_free (struct toml_value *v);
static inline void cleanup_tomlp (struct toml_value **v)
{
  if (*v)
    toml_free (*v);
}
#define _cleanup_toml_ __attribute__ ((cleanup (cleanup_tomlp)))

/* Construction, for values built in code. */
struct toml_value *toml_new (enum toml_type type);
struct toml_value *toml_new_string (const char *s, size_t len);
struct toml_value *toml_new_int (int64_t i);
struct toml_value *toml_new_bool (bool b);
struct toml_value *toml_new_float (double f);
struct toml_value *toml_copy (const struct toml_value *v);
/* Takes ownership of child in all cases. */
int toml_array_push (struct toml_value *arr, struct toml_value *child);
/* Takes ownership of child; replaces an existing key. */
int toml_table_set (struct toml_value *tab, const char *key, size_t keylen, struct toml_value *child);
/* Removes and frees the key; returns true when it existed. */
bool toml_table_remove (struct toml_value *tab, const char *key, size_t keylen);

void toml_origin_set (struct toml_origin *o, struct toml_src *src, int line, int col);
void toml_origin_clear (struct toml_origin *o);
struct toml_src *toml_src_new (const char *name);
void toml_src_unref (struct toml_src *s);
static inline const char *toml_origin_file (const struct toml_value *v)
{
  return v->origin.src ? v->origin.src->name : NULL;
}

/* Lookup. */
struct toml_value *toml_table_getn (const struct toml_value *tab, const char *key, size_t keylen);
struct toml_value *toml_table_get (const struct toml_value *tab, const char *key);
/* Follows "a.b.c" through tables (bare key segments only). */
struct toml_value *toml_get_path (const struct toml_value *root, const char *dotted);

bool toml_equal (const struct toml_value *a, const struct toml_value *b);
const char *toml_type_name (enum toml_type t);

/* Datetimes: "1979-05-27T07:32:00.999-07:00", shortest form that keeps the value. */
int toml_datetime_format (enum toml_type t, const struct toml_datetime *dt, char *buf, size_t size);
/* Parses one datetime literal (exactly, whole string); returns its type or -1. */
int toml_datetime_parse (const char *s, size_t len, struct toml_datetime *dt);

/* Locale-independent float text: "1.5", "1e+300", "inf", "-inf", "nan". */
void toml_float_format (double f, char *buf, size_t size);

/* Serialise a table as a TOML document that parses back to an equal tree. */
char *toml_emit (const struct toml_value *root);
/* One value as it would appear after "key = " (inline form). */
int toml_emit_value (const struct toml_value *v, char **out);
/* A key, quoted only when it is not bare. */
int toml_emit_key (const char *key, size_t len, char **out);

#endif
