/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a failed request ends: its sentence logged once and kept as the
 * mapping's last_error, and the -errno the handler replies with.
 */
#include <errno.h>

#include "daemon-private.h"

/*
 * A failure a client caused: logs its sentence once, keeps it as the
 * mapping's last_error, and returns the -errno to reply with.
 */
int
daemon_fail (Daemon *d, Mapping *mapping, const char *node, GError *error)
{
	g_autofree char *name = mapping != NULL ? mapping_dup_name (d, mapping) : NULL;

	if (name != NULL && *node != '\0')
		g_message ("%s/%s: %s", name, node, error->message);
	else
		g_message ("%s: %s", name != NULL ? name : node, error->message);
	if (mapping != NULL)
		mmapfs_region_set_last_error (mapping->region, error->message);
	if (error->domain != MMAPFS_ERROR || error->code <= 0) {
		g_critical ("error outside MMAPFS_ERROR: %s", error->message);
		return -EIO;
	}
	return -error->code;
}
