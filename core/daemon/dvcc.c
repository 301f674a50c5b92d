/* SPDX-License-Identifier: MIT */
/*
 * The DVCC state and the user's limits, kept from their last values.
 */
#include "daemon/dvcc.h"

#include <math.h>
#include <string.h>

static const char *const paths[] = {DVCC_PATH, USER_CCL_PATH, USER_CVL_PATH};

void dvcc_init(Dvcc *d)
{
	*d = (Dvcc){.on = FALSE, .user_ccl = -1, .user_cvl = 0};
}

gboolean dvcc_set(Dvcc *d, const char *path, const Value *v)
{
	guint which = 0;
	double x;
	gboolean valid = value_number(v, &x);

	while (which < G_N_ELEMENTS(paths) && strcmp(path, paths[which]) != 0)
		which++;
	if (which == G_N_ELEMENTS(paths))
		return FALSE;
	/* As for a battery, a non-finite number is invalid: no limit from the
	 * user (the batteries' own limits still hold), DVCC off.  Said once. */
	if (valid && !isfinite(x)) {
		if (!(d->nonfinite & (1u << which)))
			g_warning("%s is %g, not a number; taken as invalid until it is one", path,
			          x);
		d->nonfinite |= 1u << which;
		valid = FALSE;
	} else if (valid && (d->nonfinite & (1u << which))) {
		g_warning("%s is a number again (%g)", path, x);
		d->nonfinite &= ~(1u << which);
	}
	if (which == 0)
		d->on = valid && x == 1;
	else if (which == 1)
		d->user_ccl = valid ? x : -1;
	else
		d->user_cvl = valid ? x : 0;
	return TRUE;
}

void dvcc_apply(const Dvcc *d, Engine *e)
{
	engine_set_dvcc(e, d->on);
	engine_set_user_ccl(e, d->user_ccl);
	engine_set_user_cvl(e, d->user_cvl);
}
