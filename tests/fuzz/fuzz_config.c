/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the config parser: any bytes must give a config or a
 * message, never a crash, a hang or a leak.  Built and run, for a bounded
 * time, by tools/test.sh; its seed corpus is tests/data/configs.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *error = NULL;
	Config *cfg = config_parse((const char *)data, size, "fuzz.json", &error);

	if (cfg) {
		g_free(config_summary(cfg));
		config_free(cfg);
	} else {
		g_error_free(error);
	}
	return 0;
}
