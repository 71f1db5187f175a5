/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the node text protocol (lib/node-parse.c): the inverse
 * parsers of `info`, `resident`, the advise menu and the `.control`
 * outcome take back exactly what the library renders, and refuse every
 * other text with EINVAL and a sentence.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

#include "test-util.h"

/* Parses @text as info, expecting success. */
static MmapfsNodeInfo *
info_ok (const char *text)
{
	g_autoptr (GError) error = NULL;
	MmapfsNodeInfo *info = mmapfs_node_info_parse (text, strlen (text), &error);

	g_assert_no_error (error);
	g_assert_nonnull (info);
	return info;
}

static void
info_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_null (mmapfs_node_info_parse (text, strlen (text), &error));
	assert_errno (error, EINVAL);
}

static void
test_info_parse (void)
{
	g_autoptr (MmapfsNodeInfo) info =
		info_ok ("name: a\npath: /tmp/x: y\nlength: 8192\nlast_error: \nfile_size: none\n");
	g_autoptr (GError) error = NULL;
	const char *const *keys = mmapfs_node_info_get_keys (info);
	guint64 value = 0;

	g_assert_cmpuint (g_strv_length ((GStrv) keys), ==, 5);
	g_assert_cmpstr (keys[0], ==, "name");
	g_assert_cmpstr (keys[1], ==, "path");
	g_assert_cmpstr (keys[4], ==, "file_size");
	/* The value runs to the end of the line, ": " included. */
	g_assert_cmpstr (mmapfs_node_info_get (info, "path"), ==, "/tmp/x: y");
	g_assert_cmpstr (mmapfs_node_info_get (info, "last_error"), ==, "");
	g_assert_null (mmapfs_node_info_get (info, "nope"));

	g_assert_true (mmapfs_node_info_get_uint64 (info, "length", &value, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (value, ==, 8192);
	g_assert_false (mmapfs_node_info_get_uint64 (info, "file_size", &value, &error));
	g_assert_cmpstr (error->message, ==, "info key file_size is \"none\", not a number");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_info_get_uint64 (info, "nope", &value, &error));
	g_assert_cmpstr (error->message, ==, "the info text has no key nope");
	assert_errno (error, ENOENT);
	g_assert_cmpuint (value, ==, 8192);
}

static void
test_info_malformed (void)
{
	g_autoptr (GError) error = NULL;

	info_bad ("");
	info_bad ("name: a");
	info_bad ("name: a\n\n");
	info_bad ("name:a\n");
	info_bad ("name:\n");
	info_bad (": a\n");
	info_bad ("Name: a\n");
	info_bad ("na me: a\n");
	info_bad ("name: a\nname: b\n");
	g_assert_null (mmapfs_node_info_parse ("name: a\0b\n", 10, &error));
	assert_errno (error, EINVAL);

	g_assert_null (mmapfs_node_info_parse ("name: a\nbroken\n", 15, &error));
	g_assert_cmpstr (error->message, ==,
			 "line 2 of the info text is not a \"key: value\" line: \"broken\"");
	assert_errno (error, EINVAL);
	g_assert_null (mmapfs_node_info_parse ("a: 1\na: 2\n", 10, &error));
	g_assert_cmpstr (error->message, ==, "key a appears twice in the info text");
	assert_errno (error, EINVAL);
	g_assert_null (mmapfs_node_info_parse ("a: 1", 4, &error));
	g_assert_cmpstr (error->message, ==, "the info text does not end in a newline");
	assert_errno (error, EINVAL);
}

/* What a region renders, mmapfs_node_info_parse() takes back value for value. */
static void
test_info_round_trip (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) region = mmapfs_region_new_anonymous (5 * 4096, &error);
	g_autofree char *text = NULL;
	g_autoptr (MmapfsNodeInfo) info = NULL;
	g_auto (GStrv) lines = NULL;
	const char *const *keys;
	guint64 length = 0;

	g_assert_no_error (error);
	mmapfs_region_set_last_error (region, "a sentence: with a colon");
	text = mmapfs_region_format_info (region, "anon-1", &error);
	g_assert_no_error (error);
	info = info_ok (text);
	keys = mmapfs_node_info_get_keys (info);
	lines = g_strsplit (text, "\n", -1);
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autofree char *line =
			g_strdup_printf ("%s: %s", keys[i], mmapfs_node_info_get (info, keys[i]));

		g_assert_cmpstr (line, ==, lines[i]);
	}
	g_assert_cmpuint (g_strv_length ((GStrv) keys) + 1, ==, g_strv_length (lines));
	g_assert_cmpstr (mmapfs_node_info_get (info, "name"), ==, "anon-1");
	g_assert_cmpstr (mmapfs_node_info_get (info, "path"), ==, "anonymous");
	g_assert_cmpstr (mmapfs_node_info_get (info, "last_error"), ==, "a sentence: with a colon");
	g_assert_true (mmapfs_node_info_get_uint64 (info, "length", &length, &error));
	g_assert_cmpuint (length, ==, 5 * 4096);
}

static void
resident_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_resident (text, strlen (text), NULL, NULL, NULL, &error));
	assert_errno (error, EINVAL);
}

static void
test_resident_parse (void)
{
	static const char text[] = "6/10 pages resident\n0-2\n4\n7-8\n";
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) runs = NULL;
	guint64 resident = 0, total = 0;

	g_assert_true (mmapfs_node_parse_resident (text, strlen (text), &resident, &total, &runs,
						   &error));
	g_assert_no_error (error);
	g_assert_cmpuint (resident, ==, 6);
	g_assert_cmpuint (total, ==, 10);
	g_assert_cmpuint (runs->len, ==, 3);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 0).first, ==, 0);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 0).last, ==, 2);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 1).first, ==, 4);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 1).last, ==, 4);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 2).last, ==, 8);

	/* Every output is optional. */
	g_assert_true (mmapfs_node_parse_resident ("0/0 pages resident\n", 19, NULL, NULL, NULL,
						   &error));
	g_assert_no_error (error);
}

static void
test_resident_malformed (void)
{
	g_autoptr (GError) error = NULL;

	resident_bad ("");
	resident_bad ("1/2 pages resident");
	resident_bad ("1/2 pages\n0\n");
	resident_bad ("3/2 pages resident\n0-2\n");
	resident_bad ("-1/2 pages resident\n");
	resident_bad ("1/2 pages resident\n1-0\n");
	resident_bad ("1/2 pages resident\n2\n");
	resident_bad ("2/4 pages resident\n2\n0\n");
	resident_bad ("2/4 pages resident\n1-2\n2-3\n");
	resident_bad ("1/2 pages resident\n0-\n");
	resident_bad ("1/2 pages resident\n 0\n");
	resident_bad ("1/2 pages resident\n\n");
	resident_bad ("1/99999999999999999999 pages resident\n0\n");

	g_assert_false (mmapfs_node_parse_resident ("2/4 pages resident\n0\n", 21, NULL, NULL,
						    NULL, &error));
	g_assert_cmpstr (error->message, ==,
			 "the resident text counts 2 resident pages but its runs hold 1");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_resident ("1/4 pages resident\nx\n", 21, NULL, NULL,
						    NULL, &error));
	g_assert_cmpstr (error->message, ==,
			 "line 2 of the resident text is not a FIRST-LAST run of pages after the "
			 "previous run and inside the mapping: \"x\"");
	assert_errno (error, EINVAL);
}

static void
test_resident_round_trip (void)
{
	g_autoptr (GError) error = NULL;
	gsize page = mmapfs_region_page_size ();
	g_autoptr (MmapfsRegion) region = mmapfs_region_new_anonymous (8 * page, &error);
	g_autofree char *text = NULL;
	g_autoptr (GArray) runs = NULL;
	g_autoptr (GString) again = g_string_new (NULL);
	guint64 resident = 0, total = 0;

	g_assert_no_error (error);
	/* Touch pages 1, 2 and 5 so that there are runs to read back. */
	g_assert_true (mmapfs_region_set_item (region, (gint64) page, 1, &error));
	g_assert_true (mmapfs_region_set_item (region, (gint64) (2 * page), 1, &error));
	g_assert_true (mmapfs_region_set_item (region, (gint64) (5 * page), 1, &error));
	text = mmapfs_region_format_resident (region, &error);
	g_assert_no_error (error);
	g_assert_true (mmapfs_node_parse_resident (text, strlen (text), &resident, &total, &runs,
						   &error));
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 8);
	g_assert_cmpuint (resident, >=, 3);
	g_string_append_printf (again, "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
			        " pages resident\n", resident, total);
	for (guint i = 0; i < runs->len; i++) {
		MmapfsResidentRun *run = &g_array_index (runs, MmapfsResidentRun, i);

		g_string_append_printf (again, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\n",
					run->first, run->last);
	}
	g_assert_cmpstr (again->str, ==, text);
}

static void
menu_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_advise_menu (text, strlen (text), NULL, NULL, &error));
	assert_errno (error, EINVAL);
}

static void
test_menu_parse (void)
{
	static const char text[] = "normal [random] sequential willneed populate_read\n";
	g_autoptr (GError) error = NULL;
	g_autofree char *pattern = NULL;
	g_auto (GStrv) names = NULL;

	g_assert_true (mmapfs_node_parse_advise_menu (text, strlen (text), &pattern, &names,
						      &error));
	g_assert_no_error (error);
	g_assert_cmpstr (pattern, ==, "random");
	g_assert_cmpuint (g_strv_length (names), ==, 5);
	g_assert_cmpstr (names[1], ==, "random");
	g_assert_cmpstr (names[4], ==, "populate_read");
}

static void
test_menu_malformed (void)
{
	g_autoptr (GError) error = NULL;

	menu_bad ("");
	menu_bad ("[normal] random");
	menu_bad ("[normal]  random\n");
	menu_bad (" [normal]\n");
	menu_bad ("[normal] \n");
	menu_bad ("[normal]\nrandom\n");
	menu_bad ("[] normal\n");
	menu_bad ("[Normal]\n");
	menu_bad ("[normal\n");

	g_assert_false (mmapfs_node_parse_advise_menu ("normal random\n", 14, NULL, NULL, &error));
	g_assert_cmpstr (error->message, ==, "the advise menu brackets no access pattern");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[normal] [random]\n", 18, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==, "the advise menu brackets more than one advice");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[willneed] normal\n", 18, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==,
			 "the advise menu brackets willneed, which is not an access pattern");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[normal] will-need\n", 19, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==,
			 "the advise menu holds \"will-need\", which is not an advice name");
	assert_errno (error, EINVAL);
}

/* Every menu the library renders parses back to the same words and pattern. */
static void
test_menu_round_trip (void)
{
	static const int patterns[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL };

	for (guint i = 0; i < G_N_ELEMENTS (patterns); i++) {
		for (guint flags = 0; flags <= MMAPFS_ADVICE_ALLOW_HWPOISON; flags++) {
			g_autofree char *menu = mmapfs_advice_menu (patterns[i], flags);
			g_autofree char *text = g_strdup_printf ("%s\n", menu);
			g_autoptr (GError) error = NULL;
			g_autofree char *pattern = NULL;
			g_autofree char *joined = NULL;
			g_autofree char *bracketed = NULL;
			g_auto (GStrv) names = NULL;

			g_assert_true (mmapfs_node_parse_advise_menu (text, strlen (text), &pattern,
								      &names, &error));
			g_assert_no_error (error);
			g_assert_cmpstr (pattern, ==, mmapfs_advice_to_string (patterns[i]));
			bracketed = g_strdup_printf ("[%s]", pattern);
			for (guint j = 0; names[j] != NULL; j++) {
				if (strcmp (names[j], pattern) == 0) {
					g_free (names[j]);
					names[j] = g_strdup (bracketed);
				}
			}
			joined = g_strjoinv (" ", names);
			g_assert_cmpstr (joined, ==, menu);
		}
	}
}

static void
outcome_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_outcome (text, strlen (text), &error));
	assert_errno (error, EINVAL);
}

static void
test_outcome_parse (void)
{
	g_autoptr (GError) error = NULL;
	static const char text[] = "error: ENOENT: no mapping named a: b\n";

	g_assert_true (mmapfs_node_parse_outcome ("ok\n", 3, &error));
	g_assert_no_error (error);

	g_assert_false (mmapfs_node_parse_outcome (text, strlen (text), &error));
	g_assert_error (error, MMAPFS_ERROR, ENOENT);
	g_assert_cmpstr (error->message, ==, "no mapping named a: b");
	g_clear_error (&error);

	g_assert_false (mmapfs_node_parse_outcome ("error: EOPNOTSUPP: x\n", 21, &error));
	g_assert_error (error, MMAPFS_ERROR, EOPNOTSUPP);
	g_clear_error (&error);
}

static void
test_outcome_malformed (void)
{
	g_autoptr (GError) error = NULL;

	outcome_bad ("");
	outcome_bad ("ok");
	outcome_bad ("ok\n\n");
	outcome_bad ("OK\n");
	outcome_bad ("error: EINVAL\n");
	outcome_bad ("error: EINVAL: \n");
	outcome_bad ("error: : sentence\n");
	outcome_bad ("error:EINVAL: sentence\n");
	outcome_bad ("error: EINVAL: two\nlines\n");
	outcome_bad ("error: EINVAL: sentence");

	g_assert_false (mmapfs_node_parse_outcome ("fine\n", 5, &error));
	g_assert_cmpstr (error->message, ==,
			 "the outcome \"fine\" is neither \"ok\" nor \"error: ENAME: sentence\"");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_outcome ("error: ENOPE: x\n", 16, &error));
	g_assert_cmpstr (error->message, ==, "the outcome names \"ENOPE\", which is not an errno");
	assert_errno (error, EINVAL);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/node/info/parse", test_info_parse);
	g_test_add_func ("/node/info/malformed", test_info_malformed);
	g_test_add_func ("/node/info/round-trip", test_info_round_trip);
	g_test_add_func ("/node/resident/parse", test_resident_parse);
	g_test_add_func ("/node/resident/malformed", test_resident_malformed);
	g_test_add_func ("/node/resident/round-trip", test_resident_round_trip);
	g_test_add_func ("/node/advise-menu/parse", test_menu_parse);
	g_test_add_func ("/node/advise-menu/malformed", test_menu_malformed);
	g_test_add_func ("/node/advise-menu/round-trip", test_menu_round_trip);
	g_test_add_func ("/node/outcome/parse", test_outcome_parse);
	g_test_add_func ("/node/outcome/malformed", test_outcome_malformed);
	return g_test_run ();
}
