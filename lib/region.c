/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MmapfsRegion: one memory mapping with the surface of Python's mmap.
 *
 * The semantics follow CPython 3.11's Modules/mmapmodule.c case by case
 * (which checks come first, how bounds are clipped, what an omitted
 * argument means), with two deliberate differences that the contract
 * asks for: every failure is validated before anything is touched (so
 * resize(0) fails without truncating the file), and bytes that a
 * truncation of the backing file took away are reported as EIO instead of
 * killing the process with SIGBUS (see guard.c).
 *
 * Anonymous regions are backed by a memfd rather than MAP_ANONYMOUS: the
 * mapping is the same shared, zero-filled memory, but having a file
 * descriptor lets resize build the new mapping before dropping the old
 * one, whatever madvise has done to the kernel's view of the range.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "region-private.h"


/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_page_size:
 *
 * Returns: the system page size, the unit of offsets and of mincore()
 */
gsize
mmapfs_region_page_size (void)
{
	static gsize page_size;

	if (G_UNLIKELY (page_size == 0))
		page_size = (gsize) sysconf (_SC_PAGESIZE);
	return page_size;
}

/*
 * Sets @error and records the sentence as the region's last error, so the
 * daemon's info node can show what went wrong without every caller having
 * to remember to store it.
 */
void
region_fail (MmapfsRegion *self, GError **error, int errnum, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);

	if (self != NULL)
		mmapfs_region_set_last_error (self, message);
	mmapfs_set_error (error, errnum, "%s", message);
}

gboolean
region_check_open (MmapfsRegion *self, GError **error)
{
	if (G_UNLIKELY (self->closed)) {
		region_fail (self, error, EBADF, "the region is closed");
		return FALSE;
	}
	return TRUE;
}

gboolean
region_check_writable (MmapfsRegion *self, GError **error)
{
	if (G_UNLIKELY (self->access == MMAPFS_ACCESS_READ)) {
		region_fail (self, error, EACCES, "the mapping is read-only (access=read)");
		return FALSE;
	}
	return TRUE;
}

/*
 * The byte that a truncation of the backing file may have taken away
 * first: bytes of the region at or past the returned index would fault.
 * Pages that still hold some of the file stay readable to their end, as
 * the kernel fills the tail of the last page with zeros. Anonymous
 * regions cannot be truncated by anyone else.
 */
static gsize
region_accessible_end (MmapfsRegion *self)
{
	struct stat st;
	guint64 file_end;

	if (self->anonymous || self->access == MMAPFS_ACCESS_COPY)
		return self->length;
	if (fstat (self->fd, &st) < 0)
		return self->length;

	file_end = ((guint64) st.st_size + mmapfs_region_page_size () - 1) &
		   ~((guint64) mmapfs_region_page_size () - 1);
	if (file_end <= self->offset)
		return 0;
	return MIN (self->length, file_end - self->offset);
}

void
region_fail_truncated (MmapfsRegion *self, GError **error)
{
	region_fail (self, error, EIO,
		     "the backing file was truncated: those bytes of the mapping are gone");
}

/* Reads bytes [start, start + n) into a new GBytes; NULL with EIO on a fault. */
GBytes *
region_copy_out (MmapfsRegion *self, gsize start, gsize n, GError **error)
{
	g_autofree guint8 *buf = g_malloc (MAX (n, 1));

	if (!mmapfs_guard_copy (buf, self->data + start, n, FALSE)) {
		region_fail_truncated (self, error);
		return NULL;
	}
	region_stat_add (&self->stats.reads, 1);
	region_stat_add (&self->stats.bytes_read, n);
	return g_bytes_new_take (g_steal_pointer (&buf), n);
}

gboolean
region_copy_in (MmapfsRegion *self, gsize start, const void *src, gsize n, GError **error)
{
	if (!mmapfs_guard_copy (self->data + start, src, n, FALSE)) {
		region_fail_truncated (self, error);
		return FALSE;
	}
	region_stat_add (&self->stats.writes, 1);
	region_stat_add (&self->stats.bytes_written, n);
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                             */
/* ---------------------------------------------------------------------- */

static int
access_prot (MmapfsAccess access)
{
	return access == MMAPFS_ACCESS_READ ? PROT_READ : PROT_READ | PROT_WRITE;
}

static int
access_flags (MmapfsAccess access)
{
	return access == MMAPFS_ACCESS_COPY ? MAP_PRIVATE : MAP_SHARED;
}

static const char *
file_kind (mode_t mode)
{
	if (S_ISDIR (mode))
		return "a directory";
	if (S_ISFIFO (mode))
		return "a FIFO";
	if (S_ISCHR (mode))
		return "a character device";
	if (S_ISBLK (mode))
		return "a block device";
	if (S_ISSOCK (mode))
		return "a socket";
	return "not a regular file";
}

/* Wraps a fresh mapping of @fd (owned) in a new region. */
static MmapfsRegion *
region_alloc (void *data, guint64 length, int fd, MmapfsAccess access)
{
	MmapfsRegion *self;

	mmapfs_guard_install ();
	self = g_atomic_rc_box_new0 (MmapfsRegion);
	g_rw_lock_init (&self->lock);
	g_mutex_init (&self->error_lock);
	self->data = data;
	self->length = length;
	self->pattern = MADV_NORMAL;
	self->fd = fd;
	self->access = access;
	self->prot = access_prot (access);
	self->flags = access_flags (access);
	/* Narrowed by the caller when the descriptor cannot write in place. */
	self->fd_stores = self->flags == MAP_SHARED && access != MMAPFS_ACCESS_READ;
	return self;
}

/*
 * Maps @fd (which the new region owns from here on, success or not) the
 * way Python's mmap.mmap(fd, length, access=..., offset=...) does, with
 * every check made before the mapping exists.
 */
static MmapfsRegion *
region_new (int owned_fd, const char *path, MmapfsAccess access, guint64 offset, guint64 length,
	    GError **error)
{
	mmapfs_autofd fd = owned_fd;
	g_autofree char *shown = path != NULL ? g_strescape (path, NULL) : g_strdup ("the file");
	gsize page_size = mmapfs_region_page_size ();
	MmapfsRegion *self;
	struct stat st;
	void *data;
	int fd_flags;

	if (fstat (fd, &st) < 0) {
		int errsv = errno;
		mmapfs_set_error (error, errsv, "cannot examine %s: %s", shown, g_strerror (errsv));
		return NULL;
	}
	if (!S_ISREG (st.st_mode)) {
		mmapfs_set_error (error, EINVAL, "%s is %s, not a regular file", shown,
				  file_kind (st.st_mode));
		return NULL;
	}
	if (offset % page_size != 0) {
		mmapfs_set_error (error, EINVAL,
				  "offset %" G_GUINT64_FORMAT " is not a multiple of the page size %zu",
				  offset, page_size);
		return NULL;
	}
	if (offset > G_MAXINT64 || length > G_MAXSSIZE) {
		mmapfs_set_error (error, EINVAL, "offset or length is beyond any file size");
		return NULL;
	}

	if (length == 0) {
		if (st.st_size == 0) {
			mmapfs_set_error (error, EINVAL, "cannot map %s: it is empty", shown);
			return NULL;
		}
		if (offset >= (guint64) st.st_size) {
			mmapfs_set_error (error, EINVAL,
					  "offset %" G_GUINT64_FORMAT
					  " is at or beyond the end of %s (%jd bytes)",
					  offset, shown, (intmax_t) st.st_size);
			return NULL;
		}
		length = (guint64) st.st_size - offset;
	} else if (offset > (guint64) st.st_size || (guint64) st.st_size - offset < length) {
		mmapfs_set_error (error, EINVAL,
				  "offset %" G_GUINT64_FORMAT " plus length %" G_GUINT64_FORMAT
				  " is beyond the end of %s (%jd bytes)",
				  offset, length, shown, (intmax_t) st.st_size);
		return NULL;
	}

	data = mmap (NULL, length, access_prot (access), access_flags (access), fd, (off_t) offset);
	if (data == MAP_FAILED) {
		int errsv = errno;
		mmapfs_set_error (error, errsv, "cannot map %s: %s", shown, g_strerror (errsv));
		return NULL;
	}

	self = region_alloc (data, length, mmapfs_steal_fd (&fd), access);
	self->offset = offset;
	self->path = g_strdup (path);
	fd_flags = fcntl (self->fd, F_GETFL);
	self->fd_stores = self->fd_stores && fd_flags >= 0 && (fd_flags & O_ACCMODE) != O_RDONLY &&
			  !(fd_flags & O_APPEND);
	return self;
}

/**
 * mmapfs_region_new_from_fd:
 * @fd: an open file descriptor of a regular file; the region keeps a
 *   duplicate, so the caller may close @fd at once
 * @access: how to map it
 * @offset: where the mapping starts in the file, a multiple of the page size
 * @length: bytes to map; 0 maps from @offset to the end of the file
 * @error: return location for an error
 *
 * Maps a file the way Python's `mmap.mmap(fd, length, access=access,
 * offset=offset)` does. Nothing is mapped when a check fails.
 *
 * Returns: (transfer full): a new region, or %NULL with EINVAL (not a
 *   regular file, offset not page-aligned, empty file with @length 0,
 *   @offset at or beyond the end, @offset + @length beyond the end), EACCES
 *   (@fd not open for the access asked), EBADF, ENOMEM or another errno
 *   from mmap(2)
 */
MmapfsRegion *
mmapfs_region_new_from_fd (int fd, MmapfsAccess access, guint64 offset, guint64 length,
			   GError **error)
{
	int copy;

	g_return_val_if_fail ((guint) access <= MMAPFS_ACCESS_COPY, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	copy = fcntl (fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0) {
		int errsv = errno;
		mmapfs_set_error (error, errsv, "cannot use file descriptor %d: %s", fd,
				  g_strerror (errsv));
		return NULL;
	}
	return region_new (copy, NULL, access, offset, length, error);
}

/**
 * mmapfs_region_new_from_path:
 * @path: the file to map
 * @access: how to map it; read and copy open the file read-only, write
 *   and default open it read-write
 * @offset: where the mapping starts in the file, a multiple of the page size
 * @length: bytes to map; 0 maps from @offset to the end of the file
 * @error: return location for an error
 *
 * Opens and maps a file. A directory, FIFO, socket or device is refused
 * before it is opened, so mapping one never blocks or has side effects.
 *
 * Returns: (transfer full): a new region, or %NULL with ENOENT (no such
 *   file), EACCES (no permission), EINVAL (not a regular file, or one of
 *   the range errors of mmapfs_region_new_from_fd()), or the errno of
 *   open(2) or mmap(2)
 */
MmapfsRegion *
mmapfs_region_new_from_path (const char *path, MmapfsAccess access, guint64 offset, guint64 length,
			     GError **error)
{
	g_autofree char *shown = NULL;
	struct stat st;
	int flags;
	int fd;

	g_return_val_if_fail (path != NULL, NULL);
	g_return_val_if_fail ((guint) access <= MMAPFS_ACCESS_COPY, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	shown = g_strescape (path, NULL);
	if (stat (path, &st) < 0) {
		int errsv = errno;
		if (errsv == ENOENT)
			mmapfs_set_error (error, ENOENT, "%s does not exist", shown);
		else
			mmapfs_set_error (error, errsv, "cannot reach %s: %s", shown,
					  g_strerror (errsv));
		return NULL;
	}
	if (!S_ISREG (st.st_mode)) {
		mmapfs_set_error (error, EINVAL, "%s is %s, not a regular file", shown,
				  file_kind (st.st_mode));
		return NULL;
	}

	flags = access == MMAPFS_ACCESS_READ || access == MMAPFS_ACCESS_COPY ? O_RDONLY : O_RDWR;
	/* O_NONBLOCK: if the path was swapped for a FIFO since stat(), don't hang. */
	fd = open (path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int errsv = errno;
		if (errsv == EACCES || errsv == EPERM)
			mmapfs_set_error (error, EACCES, "permission denied opening %s for %s", shown,
					  flags == O_RDONLY ? "reading" : "reading and writing");
		else
			mmapfs_set_error (error, errsv, "cannot open %s: %s", shown,
					  g_strerror (errsv));
		return NULL;
	}
	fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
	return region_new (fd, path, access, offset, length, error);
}

/**
 * mmapfs_region_new_anonymous:
 * @length: size in bytes, not 0
 * @error: return location for an error
 *
 * Creates shared, zero-filled, writable and resizable memory, like
 * Python's `mmap.mmap(-1, length)`.
 *
 * Returns: (transfer full): a new region, or %NULL with EINVAL (@length 0
 *   or too large) or ENOMEM
 */
MmapfsRegion *
mmapfs_region_new_anonymous (guint64 length, GError **error)
{
	mmapfs_autofd fd = -1;
	MmapfsRegion *self;
	void *data;

	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	if (length == 0 || length > G_MAXSSIZE) {
		mmapfs_set_error (error, EINVAL,
				  "an anonymous mapping needs a size from 1 byte, not %" G_GUINT64_FORMAT,
				  length);
		return NULL;
	}
	fd = memfd_create ("mmapfs-anonymous", MFD_CLOEXEC);
	if (fd < 0 || ftruncate (fd, (off_t) length) < 0) {
		int errsv = errno;
		mmapfs_set_error (error, errsv == EFBIG ? EINVAL : errsv,
				  "cannot create %" G_GUINT64_FORMAT " bytes of anonymous memory: %s",
				  length, g_strerror (errsv));
		return NULL;
	}
	data = mmap (NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		int errsv = errno;
		mmapfs_set_error (error, errsv,
				  "cannot map %" G_GUINT64_FORMAT " bytes of anonymous memory: %s",
				  length, g_strerror (errsv));
		return NULL;
	}

	self = region_alloc (data, length, mmapfs_steal_fd (&fd), MMAPFS_ACCESS_DEFAULT);
	self->anonymous = TRUE;
	return self;
}

/**
 * mmapfs_region_ref:
 * @self: a region
 *
 * Returns: (transfer full): @self, with one more reference
 */
MmapfsRegion *
mmapfs_region_ref (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, NULL);
	return g_atomic_rc_box_acquire (self);
}

/* Unmaps under the writer lock; the caller holds it. */
static gboolean
region_close_locked (MmapfsRegion *self, GError **error)
{
	gboolean ok = TRUE;

	if (self->closed)
		return TRUE;

	/*
	 * Flush before unmapping, so a close reports a write-back error
	 * instead of leaving it to be discovered never. The mapping goes
	 * away either way: close always closes.
	 */
	if (self->flags == MAP_SHARED && self->access != MMAPFS_ACCESS_READ &&
	    msync (self->data, self->length, MS_SYNC) < 0) {
		int errsv = errno;
		region_fail (self, error, errsv, "flushing the mapping before closing it failed: %s",
			     g_strerror (errsv));
		ok = FALSE;
	}
	munmap (self->data, self->length);
	close (self->fd);
	self->fd = -1;
	self->data = NULL;
	self->length = 0;
	self->pos = 0;
	self->closed = TRUE;
	return ok;
}

static void
region_finalize (gpointer data)
{
	MmapfsRegion *self = data;

	region_close_locked (self, NULL);
	g_rw_lock_clear (&self->lock);
	g_mutex_clear (&self->error_lock);
	g_free (self->path);
	g_free (self->last_error);
}

/**
 * mmapfs_region_unref:
 * @self: (transfer full): a region
 *
 * Drops a reference. The last one flushes a shared writable mapping,
 * unmaps it and frees the region.
 */
void
mmapfs_region_unref (MmapfsRegion *self)
{
	g_return_if_fail (self != NULL);
	g_atomic_rc_box_release_full (self, region_finalize);
}

/**
 * mmapfs_region_close:
 * @self: a region
 * @error: return location for an error
 *
 * Flushes (shared writable mappings) and unmaps at once, like Python's
 * close(). Closing twice is fine; every other method then fails with
 * EBADF. The region stays allocated until its last reference goes.
 *
 * Returns: %TRUE, or %FALSE with the errno of msync(2) (the region is
 *   closed all the same)
 */
gboolean
mmapfs_region_close (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	return region_close_locked (self, error);
}

/**
 * mmapfs_region_closed:
 * @self: a region
 *
 * Returns: whether mmapfs_region_close() was called, like Python's `closed`
 */
gboolean
mmapfs_region_closed (MmapfsRegion *self)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, TRUE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	return self->closed;
}

/* ---------------------------------------------------------------------- */
/* Properties                                                             */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_get_access:
 * @self: a region
 *
 * Returns: the access mode; anonymous regions report %MMAPFS_ACCESS_DEFAULT
 */
MmapfsAccess
mmapfs_region_get_access (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, MMAPFS_ACCESS_READ);
	return self->access;
}

/**
 * mmapfs_region_get_offset:
 * @self: a region
 *
 * Returns: the offset in the file where the mapping starts (0 if anonymous)
 */
guint64
mmapfs_region_get_offset (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->offset;
}

/**
 * mmapfs_region_get_path:
 * @self: a region
 *
 * Returns: (transfer none) (nullable): the path the region was opened
 *   from, or %NULL for anonymous regions and regions made from a file
 *   descriptor
 */
const char *
mmapfs_region_get_path (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, NULL);
	return self->path;
}

/**
 * mmapfs_region_is_anonymous:
 * @self: a region
 *
 * Returns: whether the region is anonymous memory
 */
gboolean
mmapfs_region_is_anonymous (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, FALSE);
	return self->anonymous;
}

/**
 * mmapfs_region_is_writable:
 * @self: a region
 *
 * Returns: whether bytes may be written (every access but read)
 */
gboolean
mmapfs_region_is_writable (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, FALSE);
	return self->access != MMAPFS_ACCESS_READ;
}

/**
 * mmapfs_region_is_resizable:
 * @self: a region
 *
 * Returns: whether mmapfs_region_resize() may work: write and default
 *   mappings and anonymous memory, not read or copy mappings
 */
gboolean
mmapfs_region_is_resizable (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, FALSE);
	return self->access == MMAPFS_ACCESS_WRITE || self->access == MMAPFS_ACCESS_DEFAULT;
}

/* ---------------------------------------------------------------------- */
/* Sizes                                                                  */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_len:
 * @self: a region
 * @error: return location for an error
 *
 * Returns: the length of the mapping in bytes, Python's `len(m)`; -1 with
 *   EBADF when closed
 */
gssize
mmapfs_region_len (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;
	return (gssize) self->length;
}

/**
 * mmapfs_region_file_size:
 * @self: a region
 * @error: return location for an error
 *
 * The size of the backing file now, Python's `size()`; it differs from
 * the length when the mapping has an offset or a length of its own, or
 * when someone else resized the file.
 *
 * Returns: the size in bytes, or -1 with EBADF (closed, or anonymous:
 *   there is no file, as Python reports) or the errno of fstat(2)
 */
gint64
mmapfs_region_file_size (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	struct stat st;

	g_return_val_if_fail (self != NULL, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;
	if (self->anonymous) {
		region_fail (self, error, EBADF, "an anonymous mapping has no file size");
		return -1;
	}
	if (fstat (self->fd, &st) < 0) {
		int errsv = errno;
		region_fail (self, error, errsv, "cannot examine the backing file: %s",
			     g_strerror (errsv));
		return -1;
	}
	return st.st_size;
}

/* ---------------------------------------------------------------------- */
/* Positionless access                                                    */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_pread:
 * @self: a region
 * @buf: (out caller-allocates) (array length=count): where to copy
 * @count: bytes wanted
 * @offset: where to start
 * @error: return location for an error
 *
 * Copies bytes out like pread(2): short at the end, 0 at or past it. Does
 * not use or move the position; safe from many threads at once.
 *
 * Returns: bytes copied, or -1 with EBADF or EIO
 */
gssize
mmapfs_region_pread (MmapfsRegion *self, void *buf, gsize count, guint64 offset, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize n;

	g_return_val_if_fail (self != NULL, -1);
	g_return_val_if_fail (buf != NULL || count == 0, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;
	n = offset < self->length ? MIN (count, self->length - offset) : 0;
	if (!mmapfs_guard_copy (buf, self->data + MIN (offset, self->length), n, FALSE)) {
		region_fail_truncated (self, error);
		return -1;
	}
	region_stat_add (&self->stats.reads, 1);
	region_stat_add (&self->stats.bytes_read, n);
	return (gssize) n;
}

typedef enum {
	STORE_DONE,
	STORE_FAILED,
	STORE_USE_MAPPING,
} StoreResult;

/*
 * Stores bytes of a shared mapping with pwrite(2) on its file: the very
 * page-cache pages the mapping shows, so every view stays coherent, but
 * without the write fault a memcpy takes on each clean page of the
 * mapping (after a flush every page is clean, and those faults make
 * memcpy several times slower than write(2)). A full disk is also
 * reported here, as ENOSPC, instead of being lost at write-back. Only
 * where the file still holds the whole range: a pwrite past its end would
 * grow the file, which writing to a mapping never does, so there the
 * caller stores through the mapping (and a lost page gives EIO).
 */
static StoreResult
store_through_fd (MmapfsRegion *self, const void *buf, gsize n, guint64 offset, GError **error)
{
	const guint8 *from = buf;
	guint64 at = self->offset + offset;
	struct stat st;

	if (!self->fd_stores || fstat (self->fd, &st) < 0 || at + n > (guint64) st.st_size)
		return STORE_USE_MAPPING;

	while (n > 0) {
		ssize_t r = pwrite (self->fd, from, n, (off_t) at);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int errsv = r < 0 ? errno : EIO;
			region_fail (self, error, errsv, "storing %zu bytes at offset %" G_GUINT64_FORMAT
				     " failed: %s",
				     n, at - self->offset, g_strerror (errsv));
			return STORE_FAILED;
		}
		region_stat_add (&self->stats.writes, 1);
		region_stat_add (&self->stats.bytes_written, (guint64) r);
		from += r;
		at += (guint64) r;
		n -= (gsize) r;
	}
	return STORE_DONE;
}

/**
 * mmapfs_region_pwrite:
 * @self: a region
 * @buf: (array length=count): bytes to store
 * @count: how many
 * @offset: where
 * @error: return location for an error
 *
 * Stores bytes like pwrite(2) on a block device: a write that starts
 * inside but runs past the end stores what fits and returns that count;
 * the mapping never grows. Safe from many threads at once. Shared
 * mappings are written through their file (the same pages), copy
 * mappings through the mapping itself.
 *
 * Returns: bytes stored, or -1 with ENOSPC (@offset at or past the end
 *   and @count not 0, or no room on the file system for a hole being
 *   filled), EACCES (read mapping), EBADF, EIO, or another errno of
 *   pwrite(2) such as EDQUOT
 */
gssize
mmapfs_region_pwrite (MmapfsRegion *self, const void *buf, gsize count, guint64 offset,
		      GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize n;

	g_return_val_if_fail (self != NULL, -1);
	g_return_val_if_fail (buf != NULL || count == 0, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error) || !region_check_writable (self, error))
		return -1;
	if (count == 0)
		return 0;
	if (offset >= self->length) {
		region_fail (self, error, ENOSPC,
			     "offset %" G_GUINT64_FORMAT
			     " is at or past the end of the mapping (%zu bytes); a mapping "
			     "does not grow by writing",
			     offset, self->length);
		return -1;
	}
	n = MIN (count, self->length - offset);
	switch (store_through_fd (self, buf, n, offset, error)) {
	case STORE_DONE:
		return (gssize) n;
	case STORE_FAILED:
		return -1;
	case STORE_USE_MAPPING:
		break;
	}
	if (!region_copy_in (self, offset, buf, n, error))
		return -1;
	return (gssize) n;
}

/**
 * mmapfs_region_read_at:
 * @self: a region
 * @offset: where to start
 * @count: bytes wanted
 * @func: (scope call): called exactly once on success, with a pointer into
 *   the mapping and the number of bytes available there (0 at or past
 *   the end)
 * @user_data: passed to @func
 * @error: return location for an error
 *
 * Lends the mapped bytes themselves, without a copy, to @func while the
 * region is held against resize, move and close. This is how a server
 * replies to a read straight from the mapping. The loan is all the
 * mapping holds of the range, or nothing: if the backing file was cut
 * short under any of those bytes, the read fails with EIO as a whole,
 * since a short loan would read to a client as the end of the file.
 *
 * Returns: the byte count given to @func, or -1 with EBADF or EIO (and
 *   @func not called)
 */
gssize
mmapfs_region_read_at (MmapfsRegion *self, guint64 offset, gsize count, MmapfsRegionBytesFunc func,
		       gpointer user_data, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize n = 0;

	g_return_val_if_fail (self != NULL, -1);
	g_return_val_if_fail (func != NULL, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;

	if (offset < self->length && count > 0) {
		n = MIN (count, self->length - offset);
		if (offset + n > region_accessible_end (self)) {
			region_fail_truncated (self, error);
			return -1;
		}
	}
	region_stat_add (&self->stats.reads, 1);
	region_stat_add (&self->stats.bytes_read, n);
	func (n > 0 ? self->data + offset : NULL, n, user_data);
	return (gssize) n;
}

