#include "services/file_identity.h"

#include <string.h>
#include <sys/stat.h>

static void from_stat(const struct stat *st, file_identity *identity)
{
    memset(identity, 0, sizeof(*identity));
    identity->device = st->st_dev;
    identity->inode = st->st_ino;
    identity->size = st->st_size;
    identity->modified = st->st_mtim;
}

int file_identity_read(const char *path, file_identity *identity)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    from_stat(&st, identity);
    return 0;
}

int file_identity_of_fd(int fd, file_identity *identity)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    from_stat(&st, identity);
    return 0;
}

int file_identity_equal(const file_identity *a, const file_identity *b)
{
    return a->device == b->device && a->inode == b->inode && a->size == b->size &&
           a->modified.tv_sec == b->modified.tv_sec && a->modified.tv_nsec == b->modified.tv_nsec;
}
