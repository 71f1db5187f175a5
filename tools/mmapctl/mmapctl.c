/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmapctl, the command-line client of mmapfs: `mmapctl COMMAND [OPTION…]
 * ARGUMENT…`. This file holds the subcommand table, the options each
 * subcommand takes (one GOptionContext per subcommand, so that
 * `mmapctl advise --help` lists exactly advise's options) and the exit
 * status: 0 on success, 1 when a request failed (with the daemon's
 * sentence), 2 for a command line mmapctl cannot make sense of.
 *
 * The subcommands themselves live in mmapctl-commands.c (requests to a
 * mount), mmapctl-find.c (find, rfind) and mmapctl-vm.c (the vmtouch
 * workflows).
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "mmapctl-private.h"

G_DEFINE_QUARK (mmapctl-usage-error-quark, usage_error)
G_DEFINE_QUARK (mmapctl-reported-error-quark, reported_error)

/**
 * report_error:
 * @error: a failure of one path among several
 * @failed: (inout): set to %TRUE
 *
 * Prints @error now, so that messages come in the order of the paths, and
 * remembers that the subcommand failed (it then ends with REPORTED_ERROR).
 */
void
report_error (GError *error, gboolean *failed)
{
	g_printerr ("mmapctl: %s\n", error->message);
	*failed = TRUE;
}

enum {
	OPT_JSON = 1 << 0,
	OPT_MAP = 1 << 1,
	OPT_RANGE = 1 << 2,
	OPT_BAR = 1 << 3,
	OPT_QUIET = 1 << 4,
	OPT_FLUSH = 1 << 5,
	OPT_UNLOCK = 1 << 6,
	OPT_FIND = 1 << 7,
};

static CtlOptions opts;

typedef struct {
	guint group;
	GOptionEntry entry;
} OptionEntry;

static const OptionEntry option_entries[] = {
	{ OPT_JSON,
	  { "json", 'J', 0, G_OPTION_ARG_NONE, &opts.json,
	    "Print JSON for scripts (schema in mmapctl(1))", NULL } },
	{ OPT_MAP,
	  { "access", 'a', 0, G_OPTION_ARG_STRING, &opts.access,
	    "read, write (the default), copy or default", "ACCESS" } },
	{ OPT_MAP,
	  { "offset", 'o', 0, G_OPTION_ARG_STRING, &opts.offset,
	    "Map the file from OFFSET, a multiple of the page size", "OFFSET" } },
	{ OPT_MAP,
	  { "length", 'l', 0, G_OPTION_ARG_STRING, &opts.length,
	    "Map LENGTH bytes (default: to the end of the file)", "LENGTH" } },
	{ OPT_RANGE,
	  { "range", 'r', 0, G_OPTION_ARG_STRING, &opts.range,
	    "Only the bytes START:LENGTH (LENGTH left out: to the end)", "START:LENGTH" } },
	{ OPT_BAR,
	  { "bar", 'b', 0, G_OPTION_ARG_NONE, &opts.bar,
	    "Draw the pages of each target, as vmtouch -v does", NULL } },
	{ OPT_QUIET,
	  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts.quiet,
	    "Print nothing on success and draw no progress bar", NULL } },
	{ OPT_FLUSH,
	  { "async", 0, 0, G_OPTION_ARG_NONE, &opts.async, "Schedule the writes (MS_ASYNC)",
	    NULL } },
	{ OPT_FLUSH,
	  { "invalidate", 0, 0, G_OPTION_ARG_NONE, &opts.invalidate,
	    "Invalidate other mappings of the file (MS_INVALIDATE)", NULL } },
	{ OPT_UNLOCK,
	  { "unlock", 'u', 0, G_OPTION_ARG_NONE, &opts.unlock, "Unlock mappings instead",
	    NULL } },
	{ OPT_FIND,
	  { "start", 's', 0, G_OPTION_ARG_STRING, &opts.start,
	    "Search from byte START (negative: counted from the end)", "START" } },
	{ OPT_FIND,
	  { "end", 'e', 0, G_OPTION_ARG_STRING, &opts.end,
	    "Search up to byte END (negative: counted from the end)", "END" } },
	{ OPT_FIND,
	  { "regex", 'E', 0, G_OPTION_ARG_NONE, &opts.regex,
	    "NEEDLE is a regular expression (PCRE, on raw bytes)", NULL } },
	{ OPT_FIND,
	  { "hex", 'x', 0, G_OPTION_ARG_NONE, &opts.hex,
	    "NEEDLE is hexadecimal bytes, such as 0d0a or 0d:0a", NULL } },
};

typedef gboolean (*CommandFunc) (CtlOptions *opts, char **args, guint n_args, GError **error);

typedef struct {
	const char *name;
	const char *params;
	const char *summary;
	guint min_args;
	guint max_args;
	guint options;
	CommandFunc func;
} Command;

#define MANY G_MAXUINT

static const Command commands[] = {
	{ "map", "MOUNT/NAME FILE", "Map FILE as the new mapping NAME", 2, 2, OPT_MAP, cmd_map },
	{ "anon", "MOUNT/NAME SIZE", "Create an anonymous mapping of SIZE bytes", 2, 2, 0,
	  cmd_anon },
	{ "unmap", "MOUNT/NAME…", "Flush and remove mappings", 1, MANY, 0, cmd_unmap },
	{ "list", "MOUNT", "List the mappings of a mount", 1, 1, OPT_JSON, cmd_list },
	{ "stat", "MOUNT/NAME", "Show everything a mapping's info node says", 1, 1, OPT_JSON,
	  cmd_stat },
	{ "resize", "MOUNT/NAME SIZE", "Resize a mapping (and its file)", 2, 2, 0, cmd_resize },
	{ "advise", "MOUNT/NAME [ADVICE [START:LENGTH]]",
	  "Give madvise(2) advice, or show the advice menu", 1, 3, OPT_RANGE | OPT_JSON,
	  cmd_advise },
	{ "flush", "MOUNT/NAME [START:LENGTH]", "Write changes back to the file (msync)", 1, 2,
	  OPT_RANGE | OPT_FLUSH, cmd_flush },
	{ "move", "MOUNT/NAME DEST SRC COUNT", "Move COUNT bytes inside a mapping (memmove)", 4,
	  4, 0, cmd_move },
	{ "lock", "PATH…", "Lock mappings in memory, or hold files locked", 1, MANY,
	  OPT_RANGE | OPT_UNLOCK | OPT_QUIET, cmd_lock },
	{ "find", "PATH NEEDLE", "Find the first NEEDLE, as Python's mmap.find()", 2, 2,
	  OPT_FIND | OPT_JSON, cmd_find },
	{ "rfind", "PATH NEEDLE", "Find the last NEEDLE, as Python's mmap.rfind()", 2, 2,
	  OPT_FIND | OPT_JSON, cmd_rfind },
	{ "resident", "PATH…", "Count the pages in memory, as vmtouch does", 1, MANY,
	  OPT_RANGE | OPT_BAR | OPT_JSON, cmd_resident },
	{ "touch", "PATH…", "Load pages into memory (populate_read)", 1, MANY,
	  OPT_RANGE | OPT_QUIET, cmd_touch },
	{ "evict", "PATH…", "Evict pages from memory (pageout)", 1, MANY, OPT_RANGE | OPT_QUIET,
	  cmd_evict },
	{ "save", "MOUNT [FILE]", "Save a mount's tree as .control lines", 1, 2, OPT_JSON,
	  cmd_save },
	{ "restore", "MOUNT [FILE]", "Recreate saved mappings in a mount", 1, 2, 0, cmd_restore },
};

static void
print_usage (FILE *out)
{
	fprintf (out, "Usage:\n  mmapctl COMMAND [OPTION…] ARGUMENT…\n\n"
		      "Steer the mappings of an mmapfs mount, and the page cache.\n\n"
		      "Commands:\n");
	for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
		/* Pad by characters, not bytes: the parameters contain "…". */
		int pad = 36 - (int) g_utf8_strlen (commands[i].params, -1);

		fprintf (out, "  %-9s %s%*s %s\n", commands[i].name, commands[i].params,
			 MAX (pad, 0), "", commands[i].summary);
	}
	fprintf (out, "\nPATH is a mapping (MOUNT/NAME), a whole mount, a file or a directory.\n"
		      "MmapfsResidentRun \"mmapctl COMMAND --help\" for a command's options; see "
		      "mmapctl(1).\n");
}

static const Command *
find_command (const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
		if (strcmp (commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static GOptionContext *
command_context (const Command *command)
{
	GOptionContext *context = g_option_context_new (command->params);
	g_autoptr (GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

	for (guint i = 0; i < G_N_ELEMENTS (option_entries); i++) {
		if (option_entries[i].group & command->options)
			g_array_append_val (entries, option_entries[i].entry);
	}
	g_option_context_set_summary (context, command->summary);
	g_option_context_set_description (context, "See mmapctl(1) for details.");
	/* The context copies the entries it is given. */
	g_option_context_add_main_entries (context, (const GOptionEntry *) (void *) entries->data,
					   NULL);
	return context;
}

static int
run_command (const Command *command, int argc, char **argv)
{
	g_autoptr (GOptionContext) context = command_context (command);
	g_autoptr (GError) error = NULL;
	g_autofree char *prgname = g_strdup_printf ("mmapctl %s", command->name);
	guint n_args;

	g_set_prgname (prgname);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("%s: %s\nTry \"%s --help\".\n", prgname, error->message, prgname);
		return 2;
	}
	/* GOption leaves the "--" that ends the options: it is not an argument. */
	for (int i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--") == 0) {
			memmove (&argv[i], &argv[i + 1], (argc - i) * sizeof argv[0]);
			argc--;
			break;
		}
	}
	n_args = (guint) argc - 1;
	if (n_args < command->min_args || n_args > command->max_args) {
		g_printerr ("%s: expects %s\nTry \"%s --help\".\n", prgname, command->params,
			    prgname);
		return 2;
	}

	if (command->func (&opts, argv + 1, n_args, &error))
		return 0;
	if (error->domain == USAGE_ERROR) {
		g_printerr ("%s: %s\nTry \"%s --help\".\n", prgname, error->message, prgname);
		return 2;
	}
	if (error->domain != REPORTED_ERROR)
		g_printerr ("mmapctl: %s\n", error->message);
	return 1;
}

int
main (int argc, char **argv)
{
	const Command *command;

	setlocale (LC_ALL, "");
	if (argc < 2) {
		print_usage (stderr);
		return 2;
	}
	if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
	    strcmp (argv[1], "help") == 0) {
		/* "mmapctl help COMMAND" is "mmapctl COMMAND --help". */
		if (argc > 2 && (command = find_command (argv[2])) != NULL) {
			char *help_argv[] = { argv[2], (char *) "--help", NULL };

			return run_command (command, 2, help_argv);
		}
		print_usage (stdout);
		return 0;
	}
	if (strcmp (argv[1], "--version") == 0) {
		g_print ("mmapctl %s\n", MMAPFS_VERSION);
		return 0;
	}
	command = find_command (argv[1]);
	if (command == NULL) {
		g_printerr ("mmapctl: unknown command \"%s\"\nTry \"mmapctl --help\".\n", argv[1]);
		return 2;
	}
	return run_command (command, argc - 1, argv + 1);
}
