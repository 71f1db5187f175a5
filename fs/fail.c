/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a failed request ends: its sentence logged once, at the level its
 * errno calls for, and kept as the mapping's last_error; the handler
 * replies with the -errno returned.
 *
 * last_error has one owner per failure. The region records the sentence
 * of every failure of its own calls as it fails (DESIGN §4); what failed
 * before reaching a region (a line the library's parsers refused, a check
 * of the daemon's own) is recorded here. A region that already holds the
 * very sentence recorded it itself, so it is not stored a second time.
 */
#include <errno.h>

#include "daemon-private.h"

/*
 * STYLE, Logging: ENOENT is a client's everyday question (a name that is
 * not there), so it goes to debug; EIO is the storage or the kernel
 * failing under a request, an unexpected external failure. Every other
 * errno answers a request the client got wrong or that ran into a limit
 * (EINVAL, EACCES, EPERM, ERANGE, ENAMETOOLONG, EEXIST, ENOSPC, ENOMEM,
 * EMFILE, ...): a message. Tests run with fatal warnings, so nothing a
 * client can ask for may log above that.
 */
static GLogLevelFlags
fail_level (int errnum)
{
	switch (errnum) {
	case ENOENT:
		return G_LOG_LEVEL_DEBUG;
	case EIO:
		return G_LOG_LEVEL_WARNING;
	default:
		return G_LOG_LEVEL_MESSAGE;
	}
}

/* As daemon_fail(), at a @level the caller knows better than the errno. */
int
daemon_fail_at (Daemon *d, Mapping *mapping, const char *node, GError *error,
		GLogLevelFlags level)
{
	g_autofree char *name = mapping != NULL ? mapping_dup_name (d, mapping) : NULL;

	if (name != NULL && *node != '\0')
		g_log (G_LOG_DOMAIN, level, "%s/%s: %s", name, node, error->message);
	else
		g_log (G_LOG_DOMAIN, level, "%s: %s", name != NULL ? name : node, error->message);
	if (mapping != NULL) {
		g_autofree char *recorded = mmapfs_region_dup_last_error (mapping->region);

		if (g_strcmp0 (recorded, error->message) != 0)
			mmapfs_region_set_last_error (mapping->region, error->message);
	}
	if (error->domain != MMAPFS_ERROR || error->code <= 0) {
		g_critical ("error outside MMAPFS_ERROR: %s", error->message);
		return -EIO;
	}
	return -error->code;
}

/*
 * A failed request: logs its sentence once, at the level of its errno,
 * keeps it as the mapping's last_error (@mapping may be NULL), and returns
 * the -errno to reply with. @node names what failed, for the log.
 */
int
daemon_fail (Daemon *d, Mapping *mapping, const char *node, GError *error)
{
	return daemon_fail_at (d, mapping, node, error, fail_level (error->code));
}
