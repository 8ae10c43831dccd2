/* Parser state shared by toml_lex.c, toml_scalar.c and toml_parse.c. */
#ifndef COI_CONFIG_TOML_PRIVATE_H
#define COI_CONFIG_TOML_PRIVATE_H

#include "config/toml.h"
#include "util/buf.h"

struct tp
{
  const char *start, *p, *end;
  const char *line_start;
  int line;
  const char *colc_ptr; /* column cache: column of colc_ptr on the current line */
  int colc;
  struct toml_src *src;
  coi_error_t *err;
  struct toml_value *root;
  struct toml_value *cur; /* table the following key/values go to */
};

/* One part of a dotted key. */
struct tkey
{
  char *s;
  size_t len;
  const char *at; /* where it starts in the input */
  int line, col;
};

struct tkeys
{
  struct tkey *v;
  size_t n, cap;
};

/* Error at a position: "<file>:<line>:<col>: <msg>".  Returns -1. */
int tp_error (struct tp *tp, const char *at, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int tp_col (struct tp *tp, const char *at);

static inline bool tp_eof (const struct tp *tp)
{
  return tp->p >= tp->end;
}
static inline int tp_peek (const struct tp *tp, size_t ahead)
{
  return tp->p + ahead < tp->end ? (unsigned char) tp->p[ahead] : -1;
}

/* Lexing (toml_lex.c). */
int tp_validate_utf8 (struct tp *tp);
void tp_skip_ws (struct tp *tp);
/* Skips a comment if one starts here; -1 on a bad character in it. */
int tp_skip_comment (struct tp *tp);
/* Consumes "\n" or "\r\n"; returns 1 if one was there, 0 if not, -1 on a bare CR. */
int tp_newline (struct tp *tp);
/* Whitespace, comments and newlines, as allowed inside arrays. */
int tp_skip_ws_nl_comments (struct tp *tp);
int tp_parse_string (struct tp *tp, struct buf *out);
int tp_parse_key (struct tp *tp, struct tkeys *keys);
void tkeys_free (struct tkeys *k);
/* Renders a key for messages: a."b c".d */
char *tkeys_display (const struct tkeys *k, size_t n);
bool tp_is_bare_key_char (int c);

/* Scalars (toml_scalar.c): numbers, booleans, datetimes at tp->p. */
struct toml_value *tp_parse_scalar (struct tp *tp);

#endif
