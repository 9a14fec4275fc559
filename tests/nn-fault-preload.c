/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preloaded into nnrun by test-run-dir: counts the changes nnrun makes to
 * the file system under $NN_FAULT_DIR (files opened for writing, mkdir,
 * rmdir, unlink, rename) and, at the $NN_FAULT_AT-th, kills the process
 * before the change happens ($NN_FAULT=kill) or fails it with ENOSPC
 * ($NN_FAULT=enospc). At a normal exit it writes how many changes there
 * were to $NN_FAULT_COUNT. Nothing of this is in nn itself. */
#define _GNU_SOURCE
#undef _FILE_OFFSET_BITS /* open and open64 are two functions to wrap here */
#undef _FORTIFY_SOURCE   /* which would define open () inline */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fault_dir;
static size_t      fault_dir_len;
static long        fault_at;
static int         fault_kill;
static long        changes;

__attribute__ ((constructor)) static void
fault_init (void)
{
  const char *at = getenv ("NN_FAULT_AT");
  const char *how = getenv ("NN_FAULT");

  fault_dir = getenv ("NN_FAULT_DIR");
  fault_dir_len = fault_dir ? strlen (fault_dir) : 0;
  fault_at = at ? strtol (at, NULL, 10) : 0;
  fault_kill = how == NULL || strcmp (how, "enospc") != 0;
}

/* 0 for a change that goes ahead, -1 (errno set) for one that fails. */
static int
change (const char *path,
        const char *other)
{
  long n;

  if (fault_dir == NULL ||
      ((path == NULL || strncmp (path, fault_dir, fault_dir_len) != 0) &&
       (other == NULL || strncmp (other, fault_dir, fault_dir_len) != 0)))
    return 0;
  n = __atomic_add_fetch (&changes, 1, __ATOMIC_SEQ_CST);
  if (n != fault_at)
    return 0;
  if (fault_kill)
    {
      kill (getpid (), SIGKILL);
      pause ();
    }
  errno = ENOSPC;
  return -1;
}

static int
writes (int flags)
{
  return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

static int
needs_mode (int flags)
{
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

#define REAL(name) \
  static __typeof__ (name) *real_##name; \
  if (real_##name == NULL) \
  real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name)

#define MODE_ARG(flags, mode) \
  do \
    { \
      if (needs_mode (flags)) \
        { \
          va_list ap; \
          va_start (ap, flags); \
          mode = (mode_t) va_arg (ap, int); \
          va_end (ap); \
        } \
    } \
  while (0)

int
open (const char *path, int flags, ...)
{
  mode_t mode = 0;
  REAL (open);

  MODE_ARG (flags, mode);
  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real_open (path, flags, mode);
}

int
open64 (const char *path, int flags, ...)
{
  mode_t mode = 0;
  REAL (open64);

  MODE_ARG (flags, mode);
  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real_open64 (path, flags, mode);
}

int
openat (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;
  REAL (openat);

  MODE_ARG (flags, mode);
  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real_openat (dirfd, path, flags, mode);
}

int
openat64 (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;
  REAL (openat64);

  MODE_ARG (flags, mode);
  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real_openat64 (dirfd, path, flags, mode);
}

/* What _FORTIFY_SOURCE turns open () without a mode into. */
int __open_2 (const char *path, int flags);
int __open64_2 (const char *path, int flags);

int
__open_2 (const char *path, int flags)
{
  REAL (__open_2);

  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real___open_2 (path, flags);
}

int
__open64_2 (const char *path, int flags)
{
  REAL (__open64_2);

  if (writes (flags) && change (path, NULL) != 0)
    return -1;
  return real___open64_2 (path, flags);
}

int
creat (const char *path, mode_t mode)
{
  REAL (creat);

  if (change (path, NULL) != 0)
    return -1;
  return real_creat (path, mode);
}

FILE *
fopen (const char *path, const char *mode)
{
  REAL (fopen);

  if (strpbrk (mode, "wa+") != NULL && change (path, NULL) != 0)
    return NULL;
  return real_fopen (path, mode);
}

FILE *
fopen64 (const char *path, const char *mode)
{
  REAL (fopen64);

  if (strpbrk (mode, "wa+") != NULL && change (path, NULL) != 0)
    return NULL;
  return real_fopen64 (path, mode);
}

int
mkdir (const char *path, mode_t mode)
{
  REAL (mkdir);

  if (change (path, NULL) != 0)
    return -1;
  return real_mkdir (path, mode);
}

int
mkdirat (int dirfd, const char *path, mode_t mode)
{
  REAL (mkdirat);

  if (change (path, NULL) != 0)
    return -1;
  return real_mkdirat (dirfd, path, mode);
}

int
rmdir (const char *path)
{
  REAL (rmdir);

  if (change (path, NULL) != 0)
    return -1;
  return real_rmdir (path);
}

int
unlink (const char *path)
{
  REAL (unlink);

  if (change (path, NULL) != 0)
    return -1;
  return real_unlink (path);
}

int
unlinkat (int dirfd, const char *path, int flags)
{
  REAL (unlinkat);

  if (change (path, NULL) != 0)
    return -1;
  return real_unlinkat (dirfd, path, flags);
}

int
rename (const char *from, const char *to)
{
  REAL (rename);

  if (change (from, to) != 0)
    return -1;
  return real_rename (from, to);
}

int
renameat (int from_dirfd, const char *from, int to_dirfd, const char *to)
{
  REAL (renameat);

  if (change (from, to) != 0)
    return -1;
  return real_renameat (from_dirfd, from, to_dirfd, to);
}

int
renameat2 (int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags)
{
  REAL (renameat2);

  if (change (from, to) != 0)
    return -1;
  return real_renameat2 (from_dirfd, from, to_dirfd, to, flags);
}

__attribute__ ((destructor)) static void
fault_report (void)
{
  const char *path = getenv ("NN_FAULT_COUNT");
  char        line[32];
  int         fd, n;
  REAL (open);

  if (path == NULL)
    return;
  fd = real_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  n = snprintf (line, sizeof line, "%ld\n", __atomic_load_n (&changes, __ATOMIC_SEQ_CST));
  if (write (fd, line, (size_t) n) != n)
    unlink (path);
  close (fd);
}
