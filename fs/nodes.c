/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text nodes of a mapping directory: size, advise, flush, move, lock,
 * info and resident (DESIGN §2.4–2.6).
 *
 * Reading one produces its text from the region at that moment. Writing
 * one is one command: the whole buffer of a write(2) is parsed by the
 * library's line parsers, checked against the mapping here where DESIGN
 * says how a range is read, and applied by the region, which validates
 * everything before it acts. When a command changes the bytes or the
 * length behind the kernel's back (resize, move, advice that discards),
 * the kernel's cached copy of `data` is invalidated before the write is
 * answered, so the next stat(2) or read(2) sees the change.
 */
#include <errno.h>
#include <string.h>

#include "daemon-private.h"

static void
append_len (Mapping *mapping, GString *out, GError **error, gboolean *ok)
{
	gssize len = mmapfs_region_len (mapping->region, error);

	*ok = len >= 0;
	if (*ok)
		g_string_append_printf (out, "%zd\n", len);
}

/* Fills @out with the text of a node. Returns 0 or -errno. */
int
node_text (Daemon *d, NodeKind kind, Mapping *mapping, GString *out)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;
	gboolean ok = TRUE;

	switch (kind) {
	case NODE_CONTROL:
		return control_list (d, out);
	case NODE_SIZE:
		append_len (mapping, out, &error, &ok);
		break;
	case NODE_ADVISE:
		text = mmapfs_advice_menu (mmapfs_region_get_access_pattern (mapping->region),
					   d->advice_flags);
		g_string_append_printf (out, "%s\n", text);
		break;
	case NODE_LOCK:
		g_string_append (out, mmapfs_region_is_locked (mapping->region) ? "1\n" : "0\n");
		break;
	case NODE_INFO: {
		g_autofree char *name = mapping_dup_name (d, mapping);

		text = mmapfs_region_format_info (mapping->region, name, &error);
		ok = text != NULL;
		if (ok)
			g_string_append (out, text);
		break;
	}
	case NODE_RESIDENT:
		text = mmapfs_region_format_resident (mapping->region, &error);
		ok = text != NULL;
		if (ok)
			g_string_append (out, text);
		break;
	default:
		return -EBADF;
	}
	return ok ? 0 : daemon_fail (d, mapping, node_name (kind), error);
}

/*
 * Advice that changes what the mapping's bytes read back as (a private or
 * anonymous range zeroed, a hole punched, a page poisoned), or evicts
 * them: the kernel's copy of data must then go too.
 */
static gboolean
advice_discards (int advice)
{
	static const char *const discarding[] = {
		"dontneed", "free", "remove", "pageout", "hwpoison", "soft_offline",
	};
	const char *name = mmapfs_advice_to_string (advice);

	for (guint i = 0; name != NULL && i < G_N_ELEMENTS (discarding); i++) {
		if (strcmp (name, discarding[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The kernel's page offsets are off_t; clamp so a huge range means "to the end". */
static void
invalidate_data (Daemon *d, Mapping *mapping, guint64 start, guint64 count)
{
	if (start > G_MAXINT64)
		return;
	if (count > (guint64) G_MAXINT64 - start)
		count = 0;
	inval_inode (d, node_ino (mapping->id, NODE_DATA), (off_t) start, (off_t) count, TRUE);
}

static gboolean
write_size (Daemon *d, Mapping *mapping, const char *buf, size_t size, GError **error)
{
	guint64 length;

	if (!mmapfs_parse_size_line (buf, size, &length, error) ||
	    !mmapfs_region_resize (mapping->region, length, error))
		return FALSE;
	/* Attributes (st_size) and pages: a shrink cut them, a grow added zeros. */
	invalidate_data (d, mapping, 0, 0);
	g_debug ("mapping %" G_GUINT64_FORMAT ": resized to %" G_GUINT64_FORMAT " bytes",
		 mapping->id, length);
	return TRUE;
}

static gboolean
write_advise (Daemon *d, Mapping *mapping, const char *buf, size_t size, GError **error)
{
	MmapfsAdviseRequest request;
	gint64 length = MMAPFS_UNSET;
	gssize len;

	if (!mmapfs_parse_advise_line (buf, size, d->advice_flags, &request, error))
		return FALSE;
	len = mmapfs_region_len (mapping->region, error);
	if (len < 0)
		return FALSE;
	if (request.start >= (guint64) len) {
		g_set_error (error, MMAPFS_ERROR, EINVAL,
			     "advice start %" G_GUINT64_FORMAT " is outside the mapping (0..%zd)",
			     request.start, len);
		return FALSE;
	}
	/* As in Python, a length that runs past the end is clipped to it. */
	if (request.has_length)
		length = (gint64) MIN (request.length, (guint64) len - request.start);
	if (!mmapfs_region_madvise (mapping->region, request.advice, (gint64) request.start,
				    length, error))
		return FALSE;
	if (advice_discards (request.advice))
		invalidate_data (d, mapping, request.start,
				 request.has_length ? (guint64) length : 0);
	return TRUE;
}

static gboolean
write_flush (Mapping *mapping, const char *buf, size_t size, GError **error)
{
	MmapfsFlushRequest request;
	guint64 count;
	gssize len;

	if (!mmapfs_parse_flush_line (buf, size, &request, error))
		return FALSE;
	len = mmapfs_region_len (mapping->region, error);
	if (len < 0)
		return FALSE;
	/* `OFFSET` alone flushes from OFFSET to the end (Python would flush len bytes). */
	if (request.has_size)
		count = request.size;
	else
		count = request.offset <= (guint64) len ? (guint64) len - request.offset : 0;
	if (request.offset > (guint64) len || count > (guint64) len - request.offset) {
		g_set_error (error, MMAPFS_ERROR, EINVAL,
			     "flush range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
			     " is outside the mapping (%zd bytes)",
			     request.offset, count, len);
		return FALSE;
	}
	return mmapfs_region_flush (mapping->region, (gint64) request.offset, (gint64) count,
				    request.flags, error);
}

static gboolean
write_move (Daemon *d, Mapping *mapping, const char *buf, size_t size, GError **error)
{
	MmapfsMoveRequest request;

	if (!mmapfs_parse_move_line (buf, size, &request, error) ||
	    !mmapfs_region_move (mapping->region, request.dest, request.src, request.count, error))
		return FALSE;
	if (request.count > 0)
		invalidate_data (d, mapping, request.dest, request.count);
	return TRUE;
}

static gboolean
write_lock (Mapping *mapping, const char *buf, size_t size, GError **error)
{
	gboolean lock;

	return mmapfs_parse_lock_line (buf, size, &lock, error) &&
	       mmapfs_region_lock (mapping->region, lock, error);
}

/* Applies one write(2) to a text node. Returns 0 or -errno. */
int
node_write (Daemon *d, NodeKind kind, Mapping *mapping, const char *buf, size_t size)
{
	g_autoptr (GError) error = NULL;
	gboolean ok;

	switch (kind) {
	case NODE_SIZE:
		ok = write_size (d, mapping, buf, size, &error);
		break;
	case NODE_ADVISE:
		ok = write_advise (d, mapping, buf, size, &error);
		break;
	case NODE_FLUSH:
		ok = write_flush (mapping, buf, size, &error);
		break;
	case NODE_MOVE:
		ok = write_move (d, mapping, buf, size, &error);
		break;
	case NODE_LOCK:
		ok = write_lock (mapping, buf, size, &error);
		break;
	default:
		return -EBADF;
	}
	return ok ? 0 : daemon_fail (d, mapping, node_name (kind), error);
}
