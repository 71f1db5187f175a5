/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mmapfs_command_parse() with arbitrary `.control` lines. Whatever
 * parses must format to a canonical line that parses back to an equal
 * command and formats to the same line again; whatever fails must fail
 * with EINVAL, ENAMETOOLONG or EOVERFLOW and a clean sentence.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed[] = { EINVAL, ENAMETOOLONG, EOVERFLOW, 0 };

/* Checks one successfully parsed command. */
static void
check_command (const MmapfsCommand *cmd)
{
	g_auto (MmapfsCommand) again = { 0 };
	g_autofree char *line = NULL;
	g_autofree char *line2 = NULL;

	/* A parsed command is always well-formed. */
	if (cmd->kind == MMAPFS_COMMAND_NONE) {
		g_assert_null (cmd->name);
		g_assert_null (cmd->path);
	} else {
		g_assert_true (mmapfs_name_validate (cmd->name, strlen (cmd->name), NULL));
		g_assert_true ((cmd->kind == MMAPFS_COMMAND_MAP) == (cmd->path != NULL));
		if (cmd->path != NULL)
			g_assert_true (cmd->path[0] == '/');
		if (cmd->kind == MMAPFS_COMMAND_ANON)
			g_assert_cmpuint (cmd->length, >, 0);
	}

	line = mmapfs_command_format (cmd);
	g_assert_nonnull (line);
	g_assert_null (strchr (line, '\n'));

	if (!fuzz_reparse (cmd, line, &again))
		return;
	line2 = mmapfs_command_format (&again);
	g_assert_cmpstr (line, ==, line2);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_auto (MmapfsCommand) cmd = { 0 };
	GError *error = NULL;

	if (!mmapfs_command_parse ((const char *) data, size, &cmd, &error)) {
		fuzz_check_error (error, allowed);
		return 0;
	}
	g_assert_no_error (error);
	check_command (&cmd);
	return 0;
}
