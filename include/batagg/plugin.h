/* SPDX-License-Identifier: MIT */
/*
 * batagg plugin interface: the only header a strategy plugin needs.
 *
 * A plugin is a shared object that exports exactly one data symbol,
 * BATAGG_PLUGIN_SYMBOL ("batagg_plugin"), a const BataggPluginDesc.
 *
 * Opening a plugin runs its code: the shared object's constructors (and those
 * of the libraries it needs) run when it is opened, before the daemon can
 * read its descriptor.  The daemon runs as root, so it opens only trusted
 * files: the file and every directory above
 * it, up to /, must be owned by root (or by the user the daemon runs as) and
 * writable by neither group nor others, except that a directory above the
 * plugin's own may be a sticky one such as /tmp (others can create names
 * there, but not rename or remove the directory we own below it).  The
 * plugin's own directory is never writable by others.  The file must be a regular file

 * named directly, not a symbolic link; a directory given through links is
 * resolved first and the directories it resolves to are checked.  The file
 * is opened once, checked through that descriptor and loaded through it
 * (the module's name in the dynamic linker is /proc/PID/fd/N, so $ORIGIN in
 * a plugin's RUNPATH does not name its directory).  A plugin should have no
 * constructors; the descriptor checks below catch mistakes, not malice.
 *
 * Once the file is open, the daemon checks the interface version (abi_major
 * must equal the daemon's, abi_minor must not be newer), validates every
 * entry, refuses a (kind, name) that another file already registered, and
 * only then registers all of the file's entries at once.  Plugins are never
 * unloaded (a refused one is closed again).
 *
 * The built-in plugins ("plugins" beside the executable, else the installed
 * plugin directory) must all load: if that directory is unusable, any file
 * in it is refused, or a strategy the daemon uses by default is missing, the
 * daemon refuses to start.  A refused third-party directory or file
 * (pluginDirectory, --plugin-dir) is only a warning: the daemon starts
 * without it, unless the config names one of its strategies.
 *
 * Three kinds of strategy exist, each a table of function pointers:
 *
 *  - BataggRatioMethod (config key "currentRatioMethod"): for each member
 *    allowed to charge (discharge), the ratio r_i = bank current / member
 *    current, so that the bank reaches member i's limit at limit_i * r_i.
 *  - BataggCvlMode (config key "cvlMode"): chooses the bank's charge voltage
 *    limit from the members' limits.
 *  - BataggMergePolicy (config key "mergePolicies", and the built-in defaults
 *    of the aggregated paths): combines the members' values of one path.
 *
 * Everything a plugin sees is plain C data, borrowed for the duration of the
 * call and const all the way down.  Results go into caller-provided storage;
 * a plugin never allocates memory the daemon must free.  State created by a
 * strategy's create() is freed only by the same strategy's destroy().
 *
 * Victron's "invalid" (no value) is explicit: BataggNum.valid is false, or a
 * BataggValue has type BATAGG_VALUE_INVALID.  NaN is never used as a marker.
 *
 * Every table starts with struct_size, set to sizeof() the table as the
 * plugin was built.  Tables only ever grow at the end.  The daemon copies the
 * first struct_size bytes of each table into a zero-filled one of its own
 * size, so it reads only the fields that fit within struct_size, and a field
 * beyond it counts as NULL (0): absent optional functions.  A table too short
 * to hold its required function is refused.
 *
 * A minimal plugin:
 *
 *	static BataggNum fixed_cvl(void *state, const BataggCvlInput *in)
 *	{
 *		return (BataggNum){ .value = 54.0, .valid = true };
 *	}
 *	static const BataggCvlMode fixed = {
 *		.struct_size = sizeof(BataggCvlMode),
 *		.name = "fixed_54",
 *		.summary = "always 54 V",
 *		.cvl = fixed_cvl,
 *	};
 *	static const BataggCvlMode *const cvl_modes[] = { &fixed, NULL };
 *	BATAGG_PLUGIN_DEFINE("cvl_fixed", "1.0", "A fixed charge voltage",
 *			     NULL, cvl_modes, NULL);
 */
#ifndef BATAGG_PLUGIN_H
#define BATAGG_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump the major on any incompatible change; the minor when a field is
 * appended to a table or a new kind is added. */
#define BATAGG_PLUGIN_ABI_MAJOR 1
#define BATAGG_PLUGIN_ABI_MINOR 0

/* The one symbol every plugin exports. */
#define BATAGG_PLUGIN_SYMBOL "batagg_plugin"

/* Log levels for BataggHost.log, in increasing severity. */
enum {
	BATAGG_LOG_DEBUG = 10,
	BATAGG_LOG_INFO = 20,
	BATAGG_LOG_WARNING = 30,
	BATAGG_LOG_ERROR = 40,
};

/* A number that may be invalid (Victron's empty value). */
typedef struct {
	double value; /* meaningful only when valid */
	bool valid;
} BataggNum;

enum {
	BATAGG_VALUE_INVALID = 0, /* no value */
	BATAGG_VALUE_NUMBER = 1,  /* number holds it (integers and booleans too) */
	BATAGG_VALUE_TEXT = 2,    /* text holds it */
};

/* A path's value as a strategy sees it. */
typedef struct {
	int type;         /* one of BATAGG_VALUE_* */
	double number;    /* when type == BATAGG_VALUE_NUMBER */
	const char *text; /* when type == BATAGG_VALUE_TEXT; borrowed, NUL-terminated */
} BataggValue;

/* One option of a strategy, as text, in the order the user wrote them. */
typedef struct {
	const char *key;   /* e.g. "maxPercentageError" */
	const char *value; /* e.g. "0.1" (numbers as JSON text, strings unquoted,
	                      booleans "1" or "0") */
} BataggOption;

/* Services the daemon offers to a strategy.  Passed to create(); valid until
 * destroy() returns. */
typedef struct {
	uint32_t struct_size; /* sizeof(BataggHost) as the daemon was built */
	/* Log one line (no trailing newline needed) at a BATAGG_LOG_* level. */
	void (*log)(int level, const char *fmt, ...)
#if defined(__GNUC__)
	        __attribute__((format(printf, 2, 3)))
#endif
	        ;
} BataggHost;

/* Identifies a member for as long as it is a member; never reused while the
 * daemon runs, so per-member state can be keyed on it. */
typedef uint32_t BataggMemberId;

/* ------------------------------------------------------------------------ */
/* Kind 1: current-ratio methods ("ir", "capacity", "count", ...)           */

/* The members connected for one limit (CCL: /Io/AllowToCharge != 0; DCL:
 * /Io/AllowToDischarge != 0; a member without the path counts as connected),
 * in the order they joined. */
typedef struct {
	size_t n;                  /* number of connected members */
	const BataggMemberId *ids; /* ids[i]: member i */
	/* capacity[i]: member i's /InstalledCapacity (Ah); invalid when it has
	 * none, or when the config fixes the bank "capacity". */
	const BataggNum *capacity;
	/* True when any member (connected or not) reports the Allow path of this
	 * limit at all. */
	bool allow_reported;
	/* The aggregate's /InstalledCapacity (Ah): the sum over all members, or
	 * the configured capacity. */
	BataggNum bank_capacity;
	bool discharge; /* false: for the CCL; true: for the DCL */
} BataggRatioInput;

/* Per-member diagnosis a method may expose (published by the daemon). */
typedef struct {
	BataggNum resistance; /* ohm, including any correction */
	BataggNum emf;        /* V */
	BataggNum correction; /* factor applied to the fitted resistance */
} BataggMemberDiag;

/* Return bits of the event callbacks below. */
enum {
	BATAGG_RECOMPUTE_CCL = 1,
	BATAGG_RECOMPUTE_DCL = 2,
	BATAGG_ESTIMATE_CHANGED = 4, /* a diagnosis value changed: republish */
};

typedef struct {
	uint32_t struct_size; /* sizeof(BataggRatioMethod) */
	const char *name;     /* the config value; [a-z0-9_]+ */
	const char *summary;  /* one line for --help and error messages */

	/* Optional (NULL: stateless, state is NULL).  Returns the method's state,
	 * or NULL with err filled (NUL-terminated, at most err_len bytes). */
	void *(*create)(const BataggHost *host, const BataggOption *opts, size_t n_opts, char *err,
	                size_t err_len);
	/* Optional; called once for every successful create(). */
	void (*destroy)(void *state);

	/* Required.  Fills out[i] for each connected member i of in; out[i]
	 * invalid means "this method cannot serve member i" and the daemon falls
	 * back to the next method (ir, then capacity, then count). */
	void (*ratios)(void *state, const BataggRatioInput *in, BataggNum *out);

	/* Optional member life cycle, for methods that keep per-member state.
	 * member_added is also called when a member reconnects. */
	void (*member_added)(void *state, BataggMemberId id);
	void (*member_removed)(void *state, BataggMemberId id);

	/* Optional.  Called on every change of a member's /Dc/0/Voltage with its
	 * latest /Dc/0/Current (V, A; positive current charges).  Returns
	 * BATAGG_* bits. */
	int (*sample)(void *state, BataggMemberId id, double voltage, double current);

	/* Optional.  Called on every change of a member's /Dc/0/Current when this
	 * method is the configured one, with the member's own limits, so that a
	 * method can correct itself when a member exceeds its limit.  Returns
	 * BATAGG_* bits. */
	int (*current)(void *state, BataggMemberId id, double current, BataggNum ccl,
	               BataggNum dcl);

	/* Optional.  Fills the member's diagnosis; returns 0, or -1 when the
	 * member is unknown to the method. */
	int (*diagnose)(void *state, BataggMemberId id, BataggMemberDiag *out);
} BataggRatioMethod;

/* ------------------------------------------------------------------------ */
/* Kind 2: CVL modes ("max_when_balancing", ..., "dvcc")                    */

typedef struct {
	size_t n;             /* members */
	const BataggNum *cvl; /* cvl[i]: member i's /Info/MaxChargeVoltage (V) */
	/* charge_mode[i]: member i's /Info/ChargeMode text, NULL when it has none */
	const char *const *charge_mode;
	BataggNum balancing;          /* the aggregate's /Balancing (0/1) */
	const char *bank_charge_mode; /* the aggregate's /Info/ChargeMode, or NULL */
	/* The user's cap U: /Settings/SystemSetup/MaxChargeVoltage when DVCC is
	 * on, else 0.  0 means no cap. */
	double user_cap;
} BataggCvlInput;

typedef struct {
	uint32_t struct_size; /* sizeof(BataggCvlMode) */
	const char *name;     /* the config value; [a-z0-9_]+ */
	const char *summary;
	void *(*create)(const BataggHost *host, const BataggOption *opts, size_t n_opts, char *err,
	                size_t err_len); /* optional */
	void (*destroy)(void *state);    /* optional */
	/* Required.  The bank's CVL (V); invalid publishes "no limit". */
	BataggNum (*cvl)(void *state, const BataggCvlInput *in);
} BataggCvlMode;

/* ------------------------------------------------------------------------ */
/* Kind 3: merge policies ("sum", "mean", "max", "first", ...)              */

typedef struct {
	size_t n;                  /* members, in precedence (or joining) order */
	const BataggValue *values; /* values[i]: member i's value of the path */
	/* keys[i]: member i's value of the policy's key path (its key_path, or
	 * the path's own key such as /System/MinCellVoltage for
	 * /System/MinVoltageCellId); NULL when there is none. */
	const BataggValue *keys;
	/* labels[i]: member i's display name (its /CustomName, else its service
	 * name without "com.victronenergy.battery."). */
	const char *const *labels;
	/* The path being merged, e.g. "/Info/MaxChargeCurrent". */
	const char *path;
} BataggMergeInput;

typedef struct {
	uint32_t struct_size; /* sizeof(BataggMergePolicy) */
	const char *name;     /* the config value; [a-z0-9_]+ */
	const char *summary;
	/* Key path read for every member into BataggMergeInput.keys, e.g.
	 * "/InstalledCapacity" for a capacity-weighted mean; NULL to use the
	 * path's own key (or none). */
	const char *key_path;
	void *(*create)(const BataggHost *host, const BataggOption *opts, size_t n_opts, char *err,
	                size_t err_len); /* optional */
	void (*destroy)(void *state);    /* optional */
	/* Required.  Sets *out.  A text result either points to static storage
	 * or is written to text (text_len bytes, NUL-terminated) with out->text =
	 * text; it must not point into in.  Texts are UTF-8: cut one to size
	 * with batagg_text_copy(), never in the middle of a character. */
	void (*merge)(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
	              size_t text_len);
	/* Optional; set by hooks (SPEC 6), which supply values of their own at
	 * their position in a virtual battery's precedence order instead of
	 * merging members.  Returns true for each path the hook supplies.  For a
	 * hook, merge() is called with n == 1, values[0] the hook's previous
	 * value, keys[0] the virtual battery's merged value of key_path, and
	 * path the path wanted; options come from the config's "classes". */
	bool (*provides)(void *state, const char *path);
} BataggMergePolicy;

/* ------------------------------------------------------------------------ */
/* Helpers (inline: no symbol of the daemon's, no library needed)           */

/* Copies the UTF-8 text src into dst (size bytes), NUL-terminated when size
 * is not 0.  A text that does not fit is cut before the first character
 * that does not fit whole, so that the copy stays valid UTF-8 (a byte cut
 * such as snprintf's can split a character, and D-Bus refuses the result).
 * Returns the number of bytes copied, without the NUL. */
static inline size_t batagg_text_copy(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (size == 0)
		return 0;
	while (n + 1 < size && src[n]) {
		dst[n] = src[n];
		n++;
	}
	/* The next byte continues a character (10xxxxxx): step back to where
	 * that character starts, at most three bytes. */
	if (src[n]) {
		for (int k = 0; k < 3 && n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80; k++)
			n--;
	}
	dst[n] = '\0';
	return n;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */

typedef struct {
	uint32_t abi_major;      /* BATAGG_PLUGIN_ABI_MAJOR as built */
	uint32_t abi_minor;      /* BATAGG_PLUGIN_ABI_MINOR as built */
	uint32_t struct_size;    /* sizeof(BataggPluginDesc) as built */
	const char *name;        /* the plugin's name, for messages */
	const char *version;     /* the plugin's own version text */
	const char *description; /* one line */
	/* Each a NULL-terminated array of entries, or NULL for none. */
	const BataggRatioMethod *const *ratio_methods;
	const BataggCvlMode *const *cvl_modes;
	const BataggMergePolicy *const *merge_policies;
} BataggPluginDesc;

#if defined(__GNUC__)
#define BATAGG_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BATAGG_PLUGIN_EXPORT
#endif

/* Defines the plugin's descriptor.  Use once per shared object. */
#define BATAGG_PLUGIN_DEFINE(name_, version_, description_, ratio_methods_, cvl_modes_,            \
                             merge_policies_)                                                      \
	BATAGG_PLUGIN_EXPORT extern const BataggPluginDesc batagg_plugin;                          \
	const BataggPluginDesc batagg_plugin = {                                                   \
	        .abi_major = BATAGG_PLUGIN_ABI_MAJOR,                                              \
	        .abi_minor = BATAGG_PLUGIN_ABI_MINOR,                                              \
	        .struct_size = sizeof(BataggPluginDesc),                                           \
	        .name = (name_),                                                                   \
	        .version = (version_),                                                             \
	        .description = (description_),                                                     \
	        .ratio_methods = (ratio_methods_),                                                 \
	        .cvl_modes = (cvl_modes_),                                                         \
	        .merge_policies = (merge_policies_),                                               \
	}

#ifdef __cplusplus
}
#endif

#endif /* BATAGG_PLUGIN_H */
