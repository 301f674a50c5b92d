/* SPDX-License-Identifier: MIT */
/*
 * The reference of the paths batagg reads of a battery (batagg
 * --list-paths, installed as PATHS.md): each path's type, unit, what
 * values of it are sane, and what batagg does with it.  A plugin may read
 * any of them with BataggHost.value(), and any other path it declares in
 * its reads.
 */
#ifndef BATAGG_CONFIG_REFERENCE_H
#define BATAGG_CONFIG_REFERENCE_H

/* Returns (transfer full) the reference as Markdown. */
char *reference_paths(void);

#endif
