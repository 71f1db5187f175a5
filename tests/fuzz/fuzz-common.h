/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer harness of the parsers shares: the entry points'
 * prototypes, warnings and criticals made fatal (a g_return_if_fail()
 * reached from client bytes is a bug), and the check that a returned
 * error is one the contract allows, with a sentence fit for a log line.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mmapfs/mmapfs.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	return 0;
}

/*
 * Checks @error (then frees it) against the errnos allowed, given as a
 * zero-terminated list. The sentence must be one non-empty line of
 * printable ASCII without a final period: client bytes inside it are
 * escaped and cut short, whatever they were.
 */
static inline void
fuzz_check_error (GError *error, const int *allowed)
{
	gboolean found = FALSE;
	gsize len;

	g_assert_nonnull (error);
	g_assert_true (error->domain == MMAPFS_ERROR);
	for (const int *code = allowed; *code != 0; code++)
		found = found || error->code == *code;
	g_assert_true (found);

	len = strlen (error->message);
	g_assert_cmpuint (len, >, 0);
	g_assert_cmpuint (len, <, 512);
	g_assert_cmpint (error->message[len - 1], !=, '.');
	for (gsize i = 0; i < len; i++)
		g_assert_true (error->message[i] >= 0x20 && error->message[i] < 0x7f);
	g_error_free (error);
}

/* Whether two parsed commands are equal, field by field. */
static inline gboolean
fuzz_commands_equal (const MmapfsCommand *a, const MmapfsCommand *b)
{
	return a->kind == b->kind && g_strcmp0 (a->name, b->name) == 0 &&
	       g_strcmp0 (a->path, b->path) == 0 && a->access == b->access &&
	       a->offset == b->offset && a->length == b->length;
}

/*
 * Parses @line, the canonical line of @cmd, into @again and checks that it
 * gives @cmd back. The canonical line can outgrow MMAPFS_LINE_MAX (it
 * spells out every option in decimal), and is then refused as too long:
 * FALSE. Any other refusal is a bug.
 */
static inline gboolean
fuzz_reparse (const MmapfsCommand *cmd, const char *line, MmapfsCommand *again)
{
	GError *error = NULL;

	if (!mmapfs_command_parse (line, strlen (line), again, &error)) {
		g_assert_cmpuint (strlen (line), >, MMAPFS_LINE_MAX);
		g_assert_error (error, MMAPFS_ERROR, EINVAL);
		g_error_free (error);
		return FALSE;
	}
	g_assert_true (fuzz_commands_equal (cmd, again));
	return TRUE;
}
