/* SPDX-License-Identifier: MIT */
/*
 * An Engine built from a config given as JSON text, with the real built-in
 * strategy plugins loaded through the registry (no bus), and helpers to set
 * members' values and read what the engine publishes.  For the unit tests
 * of the engine and of the limits.
 */
#ifndef BATAGG_TEST_ENGINE_FIXTURE_H
#define BATAGG_TEST_ENGINE_FIXTURE_H

#include "engine/engine.h"
#include "config/config.h"
#include "strategies/registry.h"
#include "strategies/strategies.h"

typedef struct {
	Registry *reg;
	Config *cfg;
	Strategies *st;
	Engine *e;
	int publishes; /* values published so far (fixture_flush()) */
	/* Every value published so far, "path=value" (a virtual battery's
	 * fixture only, else NULL). */
	GPtrArray *log;
} Fixture;

/* Fails the test when the config or its strategies are refused. */
Fixture *fixture_new(const char *json);
/* The config's first virtual battery, with its hooks; its members join
 * with inputs_add(ROLE_PRIMARY, ...) at their place in the config. */
Fixture *fixture_new_virtual(const char *json);
void fixture_free(Fixture *f);

/* engine_flush(), then what changed is counted in publishes and logged
 * (a virtual battery's fixture). */
void fixture_flush(Fixture *f);

/* What the engine publishes now for path (as a client reading it sees). */
const Value *fixture_out(Fixture *f, const char *path);

/* Sets "path=value; ..." pairs on an input; value syntax: 1.5 (double), 3i
 * (int), 'text', - (invalid). */
void fixture_set(Fixture *f, EngineInput *in, const char *spec);

/* A member joins with the values of spec. */
EngineInput *fixture_member(Fixture *f, const char *service, const char *spec);

void expect_number(Fixture *f, const char *path, double x);
void expect_invalid(Fixture *f, const char *path);
void expect_text(Fixture *f, const char *path, const char *text);

#endif
