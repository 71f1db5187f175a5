/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Serving the text nodes: each read at offset 0 produces the text afresh
 * and keeps it in the handle, and reads at later offsets of the same open
 * continue that text, as seq_file does.
 */
#include "daemon-private.h"

/*
 * Serves a text node: fresh text from @text at offset 0, the same text
 * after it.
 * The slice is copied out under the handle's lock and sent after it is
 * released: once the reply is out, the client may close the file and a
 * release on another thread may free the handle.
 */
void
reply_text (fuse_req_t req, Daemon *d, Handle *handle, size_t size, off_t off, TextFunc text)
{
	g_autofree char *slice = NULL;
	gsize n = 0;
	int r = 0;

	g_mutex_lock (&handle->lock);
	if (off == 0 || handle->text == NULL) {
		GString *fresh = g_string_new (NULL);

		r = text (d, handle, fresh);
		if (r < 0) {
			g_string_free (fresh, TRUE);
		} else {
			if (handle->text != NULL)
				g_string_free (handle->text, TRUE);
			handle->text = fresh;
		}
	}
	if (r == 0 && (gsize) off < handle->text->len) {
		n = MIN (size, handle->text->len - (gsize) off);
		slice = g_memdup2 (handle->text->str + off, n);
	}
	g_mutex_unlock (&handle->lock);

	if (r < 0)
		fuse_reply_err (req, -r);
	else
		fuse_reply_buf (req, slice, n);
}
