/* SPDX-License-Identifier: MIT */
/*
 * A probe for test_promises: a ratio method "probe" and a CVL mode
 * "probe_cvl" that write every call the daemon makes into the file named
 * by their option "log", one line each:
 *
 *	<thread id> <instance> <event> <details>
 *
 * so that the test can hold the daemon to what plugin.h promises.  A call
 * that arrives while another is running writes "REENTERED".
 *
 * The ratio method also saves, for every member, "saved by <instance> for
 * <service>", and writes down what it is given back.
 *
 * Options: "log" (text, required), "ratio" (number: what ratios() gives
 * the first member; the others get none), "cvl" (number: what cvl()
 * gives), "fail" (refused, to see which option an error names); any other
 * option is logged and kept.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <batagg/plugin.h>

typedef struct {
	unsigned number;
	double ratio, cvl;
	bool has_ratio;
} Probe;

static FILE *out;
static unsigned users, instances;
static int depth;

static void say(const Probe *p, const char *fmt, ...) BATAGG_PRINTF(2, 3);
static void say(const Probe *p, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	fprintf(out, "%ld %u ", (long)syscall(SYS_gettid), p ? p->number : 0);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static void enter(void)
{
	if (depth++ > 0)
		say(NULL, "REENTERED");
}

static void leave(void)
{
	depth--;
}

static const char *type_name(int type)
{
	return type == BATAGG_OPTION_NUMBER ? "number"
	       : type == BATAGG_OPTION_TEXT ? "text"
	       : type == BATAGG_OPTION_BOOL ? "bool"
	                                    : "?";
}

static void *create(const BataggHost *host, const BataggOption *opts, size_t n, BataggError *err)
{
	Probe *p = calloc(1, sizeof(*p));

	enter();
	p->number = ++instances;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(opts[i].key, "log") == 0 && opts[i].type == BATAGG_OPTION_TEXT && !out)
			out = fopen(opts[i].text, "a");
	}
	users++;
	say(p, "create");
	for (size_t i = 0; i < n; i++) {
		const BataggOption *o = &opts[i];

		say(p, "option %s %s %s %.17g", o->key, type_name(o->type), o->text, o->number);
		if (strcmp(o->key, "ratio") == 0) {
			p->ratio = o->number;
			p->has_ratio = true;
		} else if (strcmp(o->key, "cvl") == 0) {
			p->cvl = o->number;
		} else if (strcmp(o->key, "fail") == 0) {
			snprintf(err->message, sizeof(err->message), "told to fail");
			err->option = (int)i;
		}
	}
	if (err->message[0]) {
		say(p, "refused");
		if (--users == 0 && out) {
			fclose(out);
			out = NULL;
		}
		free(p);
		p = NULL;
	}
	leave();
	return p;
}

static void destroy(void *state)
{
	Probe *p = state;

	enter();
	say(p, "destroy");
	leave();
	if (--users == 0 && out) {
		fclose(out);
		out = NULL;
	}
	free(p);
}

static void member_added(void *state, const BataggMember *m)
{
	enter();
	say(state, "added %u %s label=%s custom=%s", m->id, m->service, m->label, m->custom_name);
	leave();
}

static void member_removed(void *state, const BataggMember *m)
{
	enter();
	say(state, "removed %u %s", m->id, m->service);
	leave();
}

static int sample(void *state, const BataggMember *m, double voltage, double current)
{
	enter();
	say(state, "sample %u %.3f %.3f", m->id, voltage, current);
	leave();
	return 0;
}

static void ratios(void *state, const BataggRatioInput *in, BataggNum *out_)
{
	Probe *p = state;

	enter();
	say(p, "ratios %zu %s", in->n, in->discharge ? "dcl" : "ccl");
	if (p->has_ratio && in->n > 0)
		out_[0] = (BataggNum){.value = p->ratio, .valid = true};
	leave();
}

static BataggNum cvl(void *state, const BataggCvlInput *in)
{
	Probe *p = state;

	enter();
	say(p, "cvl %zu", in->n);
	leave();
	return (BataggNum){.value = p->cvl, .valid = true};
}

/* What it keeps of a member: who saved it, for whom. */
static int save_member(void *state, const BataggMember *m, char *buf, size_t len)
{
	Probe *p = state;
	int n;

	enter();
	say(p, "save %u %s", m->id, m->service);
	n = snprintf(buf, len, "saved by %u for %s", p->number, m->service);
	leave();
	return n;
}

static int restore_member(void *state, const BataggMember *m, const char *text)
{
	enter();
	say(state, "restore %u %s", m->id, text);
	leave();
	return BATAGG_RECOMPUTE_CCL;
}

static void reset(void *state, const BataggMember *m)
{
	enter();
	say(state, "reset %s", m ? m->service : "all");
	leave();
}

static const BataggRatioMethod probe = {
        .head =
                {
                        .struct_size = sizeof(BataggRatioMethod),
                        .kind = BATAGG_KIND_RATIO,
                        .name = "probe",
                        .summary = "writes down every call",
                        .create = create,
                        .destroy = destroy,
                        .member_added = member_added,
                        .member_removed = member_removed,
                        .sample = sample,
                },
        .ratios = ratios,
        .fallback = "count",
        .save_member = save_member,
        .restore_member = restore_member,
        .reset = reset,
};

static const BataggCvlMode probe_cvl = {
        .head =
                {
                        .struct_size = sizeof(BataggCvlMode),
                        .kind = BATAGG_KIND_CVL,
                        .name = "probe_cvl",
                        .summary = "writes down every call",
                        .create = create,
                        .destroy = destroy,
                        .member_added = member_added,
                        .member_removed = member_removed,
                        .sample = sample,
                },
        .cvl = cvl,
};

static const BataggStrategy *const strategies[] = {&probe.head, &probe_cvl.head, NULL};

BATAGG_PLUGIN_DEFINE("probe", "1.0", "Test probe: writes down every call", strategies);
