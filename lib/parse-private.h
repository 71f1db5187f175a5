/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parser files share (parse.c, parse-number.c, parse-name.c,
 * parse-command.c, parse-node.c): the words of a line and how they are
 * split. Never installed.
 */
#pragma once

#include "mmapfs-private.h"

G_BEGIN_DECLS

/* A word of a line: a slice of the caller's buffer, not NUL-terminated. */
typedef struct {
	const char *text;
	gsize len;
} Word;

gboolean is_blank (char c);
gboolean word_equal (const Word *word, const char *literal);
gsize split_words (const char *text, gsize len, Word *words, gsize max);

G_END_DECLS
