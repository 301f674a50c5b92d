/* SPDX-License-Identifier: MIT */
/*
 * The engine's published values: each path's name and unit, the value
 * stored and marked changed until the publisher takes it
 * (outputs_take_changed()), and the rules of what a change means to the
 * chargers: outputs_tightens() (at once rather than at the tick) and
 * outputs_safer() (through a reload's hold).
 */
#include "engine/outputs.h"

#include "engine/inputs.h"

static const char *const extra_paths[N_EXTRA_PATHS] = {
        [X_BATTERIES] = "/System/Batteries",
        [X_NR_OF_BATTERIES] = "/System/NrOfBatteries",
        [X_BATTERIES_PARALLEL] = "/System/BatteriesParallel",
        [X_BATTERIES_SERIES] = PATH_BATTERIES_SERIES,
        [X_CHARGE_LIMITATION] = "/Info/ChargeLimitation",
        [X_DISCHARGE_LIMITATION] = "/Info/DischargeLimitation",
        [X_VOLTAGE_LIMITATION] = "/Info/ChargeVoltageLimitation",
        [X_NR_OF_BATTERIES_EXPECTED] = "/System/NrOfBatteriesExpected",
        [X_INTERNAL_RESISTANCES] = "/System/InternalResistances",
        [X_EMFS] = "/System/EMFs",
        [X_IR_CORRECTIONS] = "/System/InternalResistanceCorrections",
        [X_CHARGE_RATIOS] = "/System/ChargeCurrentRatios",
        [X_DISCHARGE_RATIOS] = "/System/DischargeCurrentRatios",
        [X_CONFIG_PROBLEM] = "/ConfigProblem",
};

const char *outputs_path(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].path : extra_paths[i - N_BATTERY_PATHS];
}

Unit outputs_unit(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].unit : UNIT_NONE;
}

const Value *outputs_get(const Engine *e, int i)
{
	return &e->pub[i];
}

/* Value i changed: taken by the publisher, and due in what reads it. */
static void mark(Engine *e, int i)
{
	e->changed[i] = true;
	for (int l = 0; i < N_BATTERY_PATHS && l < N_LIMITS; l++) {
		if (feeds_table[l].bank & BIT(i))
			feeds_due(e, (LimitId)l);
	}
}

void outputs_put(Engine *e, int i, const Value *v)
{
	if (value_equal(&e->pub[i], v))
		return;
	value_copy(&e->pub[i], v);
	mark(e, i);
}

void outputs_set(Engine *e, int i, Value *v)
{
	if (value_equal(&e->pub[i], v)) {
		value_clear(v);
		return;
	}
	value_move(&e->pub[i], v);
	mark(e, i);
}

/* A limit falling by less than this share of it (the IR method's ratios
 * drift a little with every sample) waits for the tick. */
#define SMALL_FALL 0.01

bool outputs_safer(int i, const Value *old, const Value *new)
{
	double a, b;
	bool had = value_number(old, &a);
	bool has = value_number(new, &b);

	switch (i) {
	case P_CCL:
	case P_DCL:
	case P_CVL:
		return has && (!had || b < a);
	case P_ALLOW_TO_CHARGE:
	case P_ALLOW_TO_DISCHARGE:
		return has && b == 0 && (!had || a != 0);
	default:
		break;
	}
	if (i >= P_ALARM_CELL_IMBALANCE && i <= P_ALARM_INTERNAL_FAILURE)
		return has && b > (had ? a : 0);
	return false;
}

/* What is safer goes out at once, and the members changing; but a current
 * limit that falls by less than SMALL_FALL waits for the tick. */
bool outputs_tightens(int i, const Value *old, const Value *new)
{
	double a, b;

	if (i == N_BATTERY_PATHS + X_BATTERIES || i == N_BATTERY_PATHS + X_NR_OF_BATTERIES)
		return true;
	if (!outputs_safer(i, old, new))
		return false;
	if ((i == P_CCL || i == P_DCL) && value_number(old, &a) && value_number(new, &b))
		return b <= a * (1 - SMALL_FALL);
	return true;
}

const Value *outputs_read(Engine *e, LimitId l, int p)
{
	e->reads[l].bank |= BIT(p);
	return &e->pub[p];
}

bool outputs_refuses(const Engine *e, int p)
{
	double x;

	return value_number(&e->pub[p], &x) && x == 0;
}

int outputs_take_changed(Engine *e, int from)
{
	for (int i = from < 0 ? 0 : from; i < N_PUBLISHED; i++) {
		if (e->changed[i]) {
			e->changed[i] = false;
			return i;
		}
	}
	return -1;
}
