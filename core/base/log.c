/* SPDX-License-Identifier: MIT */
/*
 * The log writer and its runtime level.  GLib levels map onto the Python
 * names: debug -> DEBUG, info and message -> INFO, warning -> WARNING,
 * critical -> ERROR, error -> CRITICAL.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int value;
} levels[] = {
        /* In the order users read them, as the Python daemon listed them. */
        {"DEBUG", 10}, {"INFO", 20},     {"WARNING", 30},
        {"ERROR", 40}, {"CRITICAL", 50}, {"NOTSET", 0},
};

static int current = 20;

static int python_level(GLogLevelFlags flags)
{
	if (flags & G_LOG_LEVEL_ERROR)
		return 50;
	if (flags & G_LOG_LEVEL_CRITICAL)
		return 40;
	if (flags & G_LOG_LEVEL_WARNING)
		return 30;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return 20;
	return 10;
}

/* The name of the highest level at or below value. */
static const char *name_of(int value)
{
	const char *name = "NOTSET";
	int best = -1;

	for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
		if (levels[i].value <= value && levels[i].value > best) {
			best = levels[i].value;
			name = levels[i].name;
		}
	}
	return name;
}

static GLogWriterOutput writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
                               gpointer user_data)
{
	int level = python_level(flags);
	const char *message = NULL;

	if (level < current)
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	fprintf(stderr, "%s:batagg: %s\n", name_of(level), message ? message : "");
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

void log_init(void)
{
	g_log_set_writer_func(writer, NULL, NULL);
}

const char *const *log_level_names(void)
{
	static const char *names[G_N_ELEMENTS(levels) + 1];

	if (!names[0]) {
		for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
			names[i] = levels[i].name;
	}
	return names;
}

gboolean log_set_level(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(levels); i++) {
		if (strcmp(levels[i].name, name) == 0) {
			current = levels[i].value;
			return TRUE;
		}
	}
	return FALSE;
}

const char *log_level_name(void)
{
	return name_of(current);
}
