/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include "batagg/plugin.h"
