/* SPDX-License-Identifier: MIT */
/*
 * The rules of roles (SPEC 3, 4, 6) as a table: a config, a service (and
 * its custom name), and the roles it gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "config/roles.h"

#define B "com.victronenergy.battery."

/* Roles as text: "agg:member", "agg:primary#0", "v0:primary#1", ... */
static char *describe(const Role *p, size_t n)
{
	static const char *const inputs[] = {"member", "primary", "auxiliary"};
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		g_string_append_printf(s, "%s", i ? " " : "");
		if (p[i].target == ROLES_AGGREGATE)
			g_string_append(s, "agg");
		else
			g_string_append_printf(s, "v%d", p[i].target);
		g_string_append_printf(s, ":%s", inputs[p[i].role]);
		if (p[i].role != ROLE_MEMBER)
			g_string_append_printf(s, "#%d", p[i].rank);
		if (p[i].paths && p[i].paths[0])
			g_string_append_printf(s, "(%s)", p[i].paths[0]);
	}
	return g_string_free(s, FALSE);
}

static void test_roles(void **state)
{
	static const struct {
		const char *config, *service, *custom_name, *roles;
	} cases[] = {
	        {"{}", B "ttyS1", NULL, "agg:member"},
	        {"{\"excludedServices\": [\"" B "ttyS1\"]}", B "ttyS1", NULL, ""},
	        /* Matched exactly: excluding ttyS1 does not exclude ttyS10. */
	        {"{\"excludedServices\": [\"" B "ttyS1\"]}", B "ttyS10", NULL, "agg:member"},
	        {"{\"excludedServices\": [\"name:Shunt\"]}", B "ttyS3", "Shunt", ""},
	        {"{\"excludedServices\": [\"name:Shunt\"]}", B "ttyS3", "Shunty", "agg:member"},
	        {"{\"excludedServices\": [\"name:Shunt\"]}", B "ttyS3", NULL, "agg:member"},
	        {"{\"primaryServices\": [\"" B "a\", \"" B "shunt\"]}", B "shunt", NULL,
	         "agg:primary#1"},
	        {"{\"primaryServices\": {\"name:Shunt\": [\"/Soc\"]}}", B "x", "Shunt",
	         "agg:primary#0(/Soc)"},
	        {"{\"auxiliaryServices\": [\"" B "t\"]}", B "t", NULL, "agg:auxiliary#0"},
	        {"{\"virtualBatteries\": {\"" B "v\": [\"class:hooks.FixedValueHook\", \"" B
	         "bms\"]}, \"classes\": {\"hooks.FixedValueHook\": {\"path\": \"/Soc\"}}}",
	         B "bms", NULL, "v0:primary#1"},
	        /* A member of two virtual batteries; never of the aggregate. */
	        {"{\"virtualBatteries\": {\"" B "v\": [\"" B "bms\"], \"" B "w\": {\"" B
	         "shunt\": [], \"" B "bms\": [\"/Soc\"]}}}",
	         B "bms", NULL, "v0:primary#0 v1:primary#1(/Soc)"},
	        /* The virtual battery itself is a member of the aggregate. */
	        {"{\"virtualBatteries\": {\"" B "v\": [\"" B "bms\"]}}", B "v", NULL, "agg:member"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		Config *cfg =
		        config_parse(cases[i].config, strlen(cases[i].config), "test", &error);
		Role roles[4];
		size_t n;
		g_autofree char *got = NULL;

		if (!cfg)
			fail_msg("case %zu: %s", i, error->message);
		n = roles_of(cfg, cases[i].service, cases[i].custom_name, roles);
		got = describe(roles, n);
		if (strcmp(got, cases[i].roles) != 0)
			fail_msg("case %zu: %s in %s: got \"%s\", want \"%s\"", i, cases[i].service,
			         cases[i].config, got, cases[i].roles);
		config_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
