/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The single error domain of libmmapfs.
 *
 * Unlike most GLib domains, the codes of MMAPFS_ERROR are not an enum:
 * every code is a positive errno value (EINVAL, ENOENT, EACCES, ...), and
 * the message is one sentence a person can act on. The FUSE daemon replies
 * to the kernel with the code and logs the message; nothing translates
 * between the two.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include "mmapfs-types.h"

G_BEGIN_DECLS

/**
 * MMAPFS_ERROR:
 *
 * Error domain for libmmapfs. The `code` of a #GError in this domain is a
 * positive errno value; the `message` is a complete sentence.
 */
#define MMAPFS_ERROR (mmapfs_error_quark ())

MMAPFS_EXPORT GQuark mmapfs_error_quark (void);

MMAPFS_EXPORT const char *mmapfs_errno_name (int errnum);
MMAPFS_EXPORT void mmapfs_set_error (GError **error, int errnum, const char *format, ...)
	G_GNUC_PRINTF (3, 4);

G_END_DECLS
