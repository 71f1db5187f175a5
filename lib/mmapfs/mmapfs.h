/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmmapfs: memory regions with the surface of Python's mmap object, the
 * madvise advice table, and the parsers of the mmapfs filesystem's text
 * interface. Include only this header.
 */
#pragma once

#define MMAPFS_INSIDE
#include "mmapfs-types.h"
#include "mmapfs-version.h"
#include "mmapfs-error.h"
#include "mmapfs-advice.h"
#include "mmapfs-parse.h"
#include "mmapfs-region.h"
#include "mmapfs-node.h"
#undef MMAPFS_INSIDE
