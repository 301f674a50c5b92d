/* SPDX-License-Identifier: MIT */
/*
 * The default strategies, by name.
 */
#include "config/defaults.h"

/* One row per path reads best as a table. */
/* clang-format off */

/* Each battery path's policy in a bank of batteries in parallel
 * ("mergePolicies" overrides it); none for the limits, which have rules of
 * their own. */
#define PARALLEL_POLICY \
	[P_CURRENT] = "sum",                            \
	[P_VOLTAGE] = "mean",                           \
	[P_POWER] = "sum",                              \
	[P_TEMPERATURE] = "max",                        \
	[P_SOC] = "mean",                               \
	[P_TIME_TO_GO] = "mean",                        \
	[P_CAPACITY] = "sum",                           \
	[P_INSTALLED_CAPACITY] = "sum",                 \
	[P_CONSUMED_AH] = "sum",                        \
	[P_BALANCING] = "any",                          \
	[P_BATTERY_LOW_VOLTAGE] = "max",                \
	[P_ALLOW_TO_CHARGE] = "any",                    \
	[P_ALLOW_TO_DISCHARGE] = "any",                 \
	[P_ALLOW_TO_BALANCE] = "any",                   \
	[P_MIN_CELL_TEMPERATURE] = "min",               \
	[P_MIN_TEMPERATURE_CELL_ID] = "min_label",      \
	[P_MIN_CELL_VOLTAGE] = "min",                   \
	[P_MIN_VOLTAGE_CELL_ID] = "min_label",          \
	[P_MAX_CELL_TEMPERATURE] = "max",               \
	[P_MAX_TEMPERATURE_CELL_ID] = "max_label",      \
	[P_MAX_CELL_VOLTAGE] = "max",                   \
	[P_MAX_VOLTAGE_CELL_ID] = "max_label",          \
	[P_MODULES_BLOCKING_CHARGE] = "sum_or_zero",    \
	[P_MODULES_BLOCKING_DISCHARGE] = "sum_or_zero", \
	[P_MODULES_ONLINE] = "sum_or_zero",             \
	[P_MODULES_OFFLINE] = "sum_or_zero",            \
	[P_ALARM_CELL_IMBALANCE] = "alarm",             \
	[P_ALARM_LOW_SOC] = "alarm",                    \
	[P_ALARM_HIGH_DISCHARGE_CURRENT] = "alarm",     \
	[P_ALARM_LOW_VOLTAGE] = "alarm",                \
	[P_ALARM_HIGH_VOLTAGE] = "alarm",               \
	[P_ALARM_LOW_CELL_VOLTAGE] = "alarm",           \
	[P_ALARM_HIGH_CELL_VOLTAGE] = "alarm",          \
	[P_ALARM_LOW_TEMPERATURE] = "alarm",            \
	[P_ALARM_HIGH_TEMPERATURE] = "alarm",           \
	[P_ALARM_LOW_CHARGE_TEMPERATURE] = "alarm",     \
	[P_ALARM_HIGH_CHARGE_TEMPERATURE] = "alarm",    \
	[P_ALARM_BMS_CABLE] = "alarm",                  \
	[P_ALARM_INTERNAL_FAILURE] = "alarm",           \
	[P_CHARGE_MODE] = "charge_mode"

/* A series battery's table is the parallel one with its overrides written
 * after it: a later initializer of the same element wins (C11 6.7.9). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

const Defaults defaults = {
	.ratio_method = "ir",
	.cvl_mode = "max_when_balancing",
	.estimator = "ir",
	.precedence = "first",
	.options_key = {"ir", "ir"},
	.policy = {PARALLEL_POLICY},
	/* The same current flows through every module of a string: voltages
	 * add up, the weakest module bounds what the string holds and takes,
	 * and every module must allow.  Every other path as in parallel; the
	 * limits too by a policy. */
	.series_policy = {
		PARALLEL_POLICY,
		[P_CURRENT] = "mean",
		[P_VOLTAGE] = "sum",
		[P_SOC] = "min",
		[P_TIME_TO_GO] = "min",
		[P_CAPACITY] = "min",
		[P_INSTALLED_CAPACITY] = "min",
		[P_CONSUMED_AH] = "max",
		[P_BATTERY_LOW_VOLTAGE] = "sum",
		[P_ALLOW_TO_CHARGE] = "all",
		[P_ALLOW_TO_DISCHARGE] = "all",
		[P_ALLOW_TO_BALANCE] = "all",
		[P_CCL] = "min",
		[P_DCL] = "min",
		[P_CVL] = "sum",
	},
};

#pragma GCC diagnostic pop
/* clang-format on */
