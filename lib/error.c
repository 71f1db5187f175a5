/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MMAPFS_ERROR domain, the one helper that sets errors in it, and the
 * small tables that name errnos and access modes.
 */
#include <errno.h>
#include <string.h>

#include "mmapfs-private.h"

G_DEFINE_QUARK (mmapfs-error-quark, mmapfs_error)

/**
 * mmapfs_set_error:
 * @error: (nullable): return location, as for g_set_error()
 * @errnum: a positive errno value
 * @format: printf-style format of the sentence
 * @...: the arguments of @format
 *
 * Sets @error in %MMAPFS_ERROR with @errnum as its code and the
 * formatted sentence as its message. Every error the library returns
 * goes through here, so the code is always an errno; programs built on
 * the library (mmapctl, mmapfs-bench) use it too, so that their errors
 * read the same way. An @errnum that is not positive is a programmer
 * error: nothing is set.
 */
void
mmapfs_set_error (GError **error, int errnum, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	g_return_if_fail (errnum > 0);

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, MMAPFS_ERROR, errnum, message);
}

/**
 * mmapfs_errno_name:
 * @errnum: a positive errno value
 *
 * Gives the symbolic name of an errno, as used in the `error: ERRNAME:
 * sentence` lines of the `.control` transaction read.
 *
 * Returns: (transfer none): "EINVAL", "ENOENT", ...; "EUNKNOWN" for a value
 *   glibc does not name
 */
const char *
mmapfs_errno_name (int errnum)
{
	const char *name = strerrorname_np (errnum);

	return name != NULL ? name : "EUNKNOWN";
}

static const char *const access_names[] = {
	[MMAPFS_ACCESS_DEFAULT] = "default",
	[MMAPFS_ACCESS_READ] = "read",
	[MMAPFS_ACCESS_WRITE] = "write",
	[MMAPFS_ACCESS_COPY] = "copy",
};

/**
 * mmapfs_access_to_string:
 * @access: an access mode
 *
 * Returns: (transfer none): "read", "write", "copy" or "default"
 */
const char *
mmapfs_access_to_string (MmapfsAccess access)
{
	g_return_val_if_fail ((guint) access < G_N_ELEMENTS (access_names), NULL);
	return access_names[access];
}

/**
 * mmapfs_access_from_string:
 * @text: "read", "write", "copy" or "default" (lower case)
 * @out_access: (out): the mode
 * @error: return location for an error
 *
 * Returns: %TRUE on success; %FALSE with EINVAL for any other text
 */
gboolean
mmapfs_access_from_string (const char *text, MmapfsAccess *out_access, GError **error)
{
	g_return_val_if_fail (text != NULL, FALSE);

	for (guint i = 0; i < G_N_ELEMENTS (access_names); i++) {
		if (strcmp (text, access_names[i]) == 0) {
			*out_access = (MmapfsAccess) i;
			return TRUE;
		}
	}
	mmapfs_set_error (error, EINVAL,
			  "access must be read, write, copy or default, not \"%s\"", text);
	return FALSE;
}
