/* The local terminal's size, for exec's initial size and resizes. */
#ifndef COI_TERM_WINSIZE_H
#define COI_TERM_WINSIZE_H

/* Columns and rows of the tty on fd; -1 when fd is not a tty or reports 0x0. */
int term_get_size (int fd, int *width, int *height);

#endif
