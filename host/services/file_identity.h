/*
 * Which file a path names right now, and which version of it: device,
 * inode, size and modification time. A file replaced by a rename gets a
 * new inode; one rewritten in place a new size or mtime. Used to notice a
 * changed pipeline file or plugin without reading them.
 */
#ifndef PIPEHOST_SERVICES_FILE_IDENTITY_H
#define PIPEHOST_SERVICES_FILE_IDENTITY_H

#include <sys/types.h>
#include <time.h>

typedef struct file_identity {
    dev_t device;
    ino_t inode;
    off_t size;
    struct timespec modified;
} file_identity;

/* stat path (following symlinks). 0, or -1 with errno set. */
int file_identity_read(const char *path, file_identity *identity);

/* The same for an open file. */
int file_identity_of_fd(int fd, file_identity *identity);

int file_identity_equal(const file_identity *a, const file_identity *b);

#endif
