#include "term/winsize.h"

#include <sys/ioctl.h>

int term_get_size (int fd, int *width, int *height)
{
  struct winsize ws;
  if (fd < 0 || ioctl (fd, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0 || ws.ws_row == 0)
    return -1;
  *width = ws.ws_col;
  *height = ws.ws_row;
  return 0;
}
