#!/usr/bin/env python3
"""Run a command on a new pty, as a user's terminal would: every byte it
writes is appended to OUT (raw, flushed at once), and bytes written to the
fifo IN are typed into it.  Exits with the command's exit status.

Usage: pty_drive.py OUT IN COLS ROWS -- COMMAND [ARG...]"""
import errno
import fcntl
import os
import select
import struct
import sys
import termios


def main():
    if len(sys.argv) < 7 or sys.argv[5] != "--":
        sys.exit(__doc__)
    out_path, in_path, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cmd = sys.argv[6:]
    master, slave = os.openpty()
    # Sized before the command starts: it reads the size once, at attach.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        os.execvp(cmd[0], cmd)
    os.close(slave)
    # O_RDWR: the fifo never reports EOF while we hold a writer ourselves.
    typed = os.open(in_path, os.O_RDWR | os.O_NONBLOCK)
    with open(out_path, "ab", buffering=0) as out:
        while True:
            ready, _, _ = select.select([master, typed], [], [])
            if typed in ready:
                os.write(master, os.read(typed, 4096))
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError as e:
                    if e.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                out.write(data)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
