/* SPDX-License-Identifier: MIT */
/*
 * The engine fixture of the unit tests: a config, the built-in plugins from
 * the build tree (BATAGG_PLUGIN_BUILD_DIR), the strategies and an Engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine_fixture.h"

/* Takes what the engine published since the last time: counted, and
 * logged "path=value" for a virtual battery's fixture. */
static void take(Fixture *f)
{
	for (int i = outputs_take_changed(f->e, 0); i >= 0; i = outputs_take_changed(f->e, i + 1)) {
		f->publishes++;
		if (f->log) {
			g_autofree char *text = value_format(outputs_get(f->e, i), UNIT_NONE);

			g_ptr_array_add(f->log, g_strdup_printf("%s=%s", outputs_path(i), text));
		}
	}
}

void fixture_flush(Fixture *f)
{
	engine_flush(f->e);
	take(f);
}

static Registry *load_builtins(void)
{
	const char *dir = g_getenv("BATAGG_PLUGIN_BUILD_DIR");
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;

	assert_non_null(dir);
	assert_true(registry_load_dir(reg, dir, &refused, &error) >= 5);
	assert_true(!refused || refused->len == 0);
	if (refused)
		g_ptr_array_free(refused, TRUE);
	return reg;
}

Fixture *fixture_new(const char *json)
{
	Fixture *f = g_new0(Fixture, 1);
	GError *error = NULL;

	f->reg = load_builtins();
	f->cfg = config_parse(json, strlen(json), "test", &error);
	if (!f->cfg)
		fail_msg("config: %s", error->message);
	f->st = strategies_new(f->cfg, f->reg, &error);
	if (!f->st)
		fail_msg("strategies: %s", error->message);
	f->e = strategies_engine(f->st, NULL, NULL);
	return f;
}

Fixture *fixture_new_virtual(const char *json)
{
	Fixture *f = g_new0(Fixture, 1);
	GError *error = NULL;

	f->reg = load_builtins();
	f->cfg = config_parse(json, strlen(json), "test", &error);
	if (!f->cfg)
		fail_msg("config: %s", error->message);
	assert_true(f->cfg->n_virtuals > 0);
	f->st = strategies_new_virtual(f->cfg, 0, f->reg, &error);
	if (!f->st)
		fail_msg("strategies: %s", error->message);
	f->log = g_ptr_array_new_with_free_func(g_free);
	f->e = strategies_engine(f->st, NULL, NULL);
	return f;
}

void fixture_free(Fixture *f)
{
	strategies_bind(f->st, NULL, NULL, NULL);
	engine_free(f->e);
	strategies_free(f->st);
	config_free(f->cfg);
	registry_free(f->reg);
	if (f->log)
		g_ptr_array_free(f->log, TRUE);
	g_free(f);
}

const Value *fixture_out(Fixture *f, const char *path)
{
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (strcmp(outputs_path(i), path) == 0)
			return outputs_get(f->e, i);
	}
	fail_msg("%s is not published", path);
	return NULL;
}

void fixture_set(Fixture *f, EngineInput *in, const char *spec)
{
	g_auto(GStrv) pairs = g_strsplit(spec, ";", -1);

	for (size_t i = 0; pairs[i]; i++) {
		g_auto(GStrv) kv = g_strsplit(g_strstrip(pairs[i]), "=", 2);
		Value v = VALUE_INIT;
		size_t len;

		if (!kv[0] || !kv[0][0])
			continue;
		assert_non_null(kv[1]);
		len = strlen(kv[1]);
		if (kv[1][0] == '\'') {
			g_autofree char *text = g_strndup(kv[1] + 1, len - 2);

			v = value_text(text);
		} else if (strcmp(kv[1], "-") == 0)
			v = VALUE_INIT;
		else if (kv[1][len - 1] == 'i')
			v = value_int(g_ascii_strtoll(kv[1], NULL, 10));
		else
			v = value_double(g_ascii_strtod(kv[1], NULL));
		inputs_set(f->e, in, kv[0], &v);
		value_clear(&v);
	}
}

EngineInput *fixture_member(Fixture *f, const char *service, const char *spec)
{
	EngineInput *in = inputs_add(f->e, ROLE_MEMBER, service, NULL, 0, NULL);

	fixture_set(f, in, spec);
	return in;
}

void expect_number(Fixture *f, const char *path, double x)
{
	const Value *v = fixture_out(f, path);
	double got;

	if (!value_number(v, &got))
		fail_msg("%s: expected %g, got no number", path, x);
	if (fabs(got - x) > 1e-9 * fmax(1, fabs(x)))
		fail_msg("%s: expected %.12g, got %.12g", path, x, got);
}

void expect_invalid(Fixture *f, const char *path)
{
	if (fixture_out(f, path)->type != VALUE_INVALID)
		fail_msg("%s: expected invalid", path);
}

void expect_text(Fixture *f, const char *path, const char *text)
{
	const Value *v = fixture_out(f, path);

	if (v->type != VALUE_TEXT || strcmp(v->u.s, text) != 0)
		fail_msg("%s: expected '%s', got '%s'", path, text,
		         v->type == VALUE_TEXT ? v->u.s : "(not text)");
}
