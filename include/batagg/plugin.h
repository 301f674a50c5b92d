/* SPDX-License-Identifier: MIT */
/*
 * batagg plugin interface 3.0: the only header a strategy plugin needs.
 * docs/PLUGINS.md walks through writing one; this header is the contract.
 *
 * A plugin is a shared object that exports one data symbol,
 * BATAGG_PLUGIN_SYMBOL ("batagg_plugin"): a const BataggPluginDesc listing
 * its strategies.  Every strategy is a table of its kind (ratio method, CVL
 * mode, merge policy, hook) whose first member is the same head,
 * BataggStrategy: its size, kind, name, options, the paths it reads, and its
 * life cycle.
 *
 * Loading.  The daemon opens a plugin file only when the file, its
 * directory and the directories above it are owned by root (or by the user
 * the daemon runs as) and writable by nobody else (a sticky directory such
 * as /tmp may stand above the plugin's own), and the file is no symbolic
 * link.  Opening a shared object runs its constructors: they run before the
 * descriptor is read, so a plugin should have none.  The daemon then checks
 * the interface version (abi_major equal to the daemon's, abi_minor not
 * newer), every table (a known kind, struct_size at least what this
 * interface needs, a valid name, the kind's required functions), and that
 * no (kind, name) is registered already; only then does it register all of
 * the file's strategies at once.  A refused file registers nothing.
 * Plugins are never unloaded.  The built-in strategies are plugins loaded
 * the same way, first; a third party cannot take one of their names.
 *
 * Tables grow only at their end.  Every table starts with struct_size, set
 * to sizeof() the table as the plugin was built; the daemon reads no field
 * beyond it (a field the plugin's build lacks reads as NULL or 0).  A
 * plugin built against an older minor of this interface keeps working.
 *
 * Threads.  The daemon has one thread: every function of a plugin is called
 * from it, one call at a time, never re-entered.  A function must return
 * soon (no blocking I/O): the daemon's main loop waits for it.
 *
 * Data.  Everything a plugin is given is plain C data, borrowed for the
 * duration of the call and const all the way down; copy what you keep.
 * Results go into caller-provided storage; a plugin never allocates memory
 * the daemon frees.  Victron's "invalid" (no value) is explicit:
 * BataggNum.valid is false, or a BataggValue has type BATAGG_VALUE_INVALID.
 * The numbers the daemon passes are finite (a NaN or infinity from the bus
 * arrives as invalid).  Text is UTF-8; cut it with batagg_text_copy().
 *
 * Life cycle.  Each published battery service (the aggregate, every virtual
 * battery) has its own instance of each strategy it uses: create() with the
 * strategy's options from the config, then the calls of its kind, then
 * destroy().  A reload (SIGHUP) creates every instance anew, with the new
 * options, before the old ones are destroyed: state does not survive a
 * reload, except what a ratio method saves (save_member(), below), which
 * is also what survives a restart.  --check-config also calls create() (and destroy()) for every
 * strategy the config uses, so that a wrong option is a config error; so
 * does the daemon's start, to find the keys it must run at their defaults,
 * and it destroys those instances before it creates the ones it runs.
 *
 * A minimal plugin:
 *
 *	static BataggNum fixed_cvl(void *state, const BataggCvlInput *in)
 *	{
 *		return (BataggNum){.value = 54.0, .valid = true};
 *	}
 *	static const BataggCvlMode fixed = {
 *		.head = {.struct_size = sizeof(BataggCvlMode),
 *		         .kind = BATAGG_KIND_CVL,
 *		         .name = "fixed_54",
 *		         .summary = "always 54 V"},
 *		.cvl = fixed_cvl,
 *	};
 *	static const BataggStrategy *const strategies[] = {&fixed.head, NULL};
 *	BATAGG_PLUGIN_DEFINE("cvl_fixed", "1.0", "A fixed charge voltage", strategies);
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
 * appended to a table or a new kind is added.  2.0 replaced 1.0 (which no
 * plugin outside batagg's own tree was built for): one head for every
 * kind, typed options with errors that name them, members with their
 * names, a logger that knows its strategy, fallbacks as data, and hooks as
 * a kind of their own.  2.1 appended save_member, restore_member and reset
 * to BataggRatioMethod.
 *
 * 3.0: strategies see the whole battery and keep time.  The head gained
 * reads (the paths a strategy reads of each member, followed and
 * recomputed like the core's own) and member_state_size (per-member state
 * the daemon owns); BataggHost gained value(), now(), call_again() and
 * member_state(); a new kind, limiters, can only lower a member's limits;
 * merge inputs carry the members; hooks may read several key paths and see
 * the members; save_member, restore_member and reset work for every kind.
 *
 * Plugins built for 2.0 and 2.1 keep loading and working unchanged: the
 * daemon moves their tables' fields after the 2.x head into place (their
 * reads is NULL, their member_state_size 0).  What they see differently is
 * batagg being stricter, as for any plugin: a ratio below 1 is refused
 * with a WARNING naming the method (it was dropped silently; use a limiter
 * to lower a member's share), and a plugin whose fallback names no ratio
 * method, or whose options help does not match the options its create()
 * accepts, is refused at load. */
#define BATAGG_PLUGIN_ABI_MAJOR 3
#define BATAGG_PLUGIN_ABI_MINOR 0

/* The one symbol every plugin exports. */
#define BATAGG_PLUGIN_SYMBOL "batagg_plugin"

#if defined(__GNUC__)
#define BATAGG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BATAGG_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Values                                                                   */

/* A number that may be invalid (Victron's empty value). */
typedef struct {
	double value; /* meaningful only when valid; finite */
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

/* ------------------------------------------------------------------------ */
/* Members                                                                  */

/* Identifies a member of the aggregate.  Unique among its members for as
 * long as the strategy instance lives (ids start again with the new
 * instances of a reload); a member that reconnects within reconnectTimeout
 * keeps its id. */
typedef uint32_t BataggMemberId;

/* A member of the aggregate, as strategies see it. */
typedef struct {
	BataggMemberId id;
	const char *service; /* its bus name, "com.victronenergy.battery.ttyS1" */
	/* Its /CustomName as first read when it joined; "" when it had none.
	 * Both stay the same while it is a member, reconnects included. */
	const char *custom_name;
	const char *label; /* how batagg names it: custom_name, else the service
	                    * name without "com.victronenergy.battery." */

} BataggMember;

/* ------------------------------------------------------------------------ */
/* Options                                                                  */

enum {
	BATAGG_OPTION_NUMBER = 1,
	BATAGG_OPTION_TEXT = 2,
	BATAGG_OPTION_BOOL = 3,
};

/* One option of a strategy, in the order the user wrote them.  Options come
 * from the config's "strategyOptions" under the strategy's name (and, kept
 * from earlier configs, "ir" for the ir method and "classes" under a hook's
 * id).  A nested object is flattened: {"ccls": {"52.0": 100}} is the option
 * "ccls/52.0" = 100.  Arrays and null are not options: the config refuses
 * them. */
typedef struct {
	const char *key;  /* "maxPercentageError", "ccls/52.0" */
	int type;         /* BATAGG_OPTION_* */
	double number;    /* NUMBER (finite), BOOL (0 or 1) */
	const char *text; /* TEXT: the string; NUMBER: the number as written; BOOL:
	                   * "true" or "false" */
} BataggOption;

/* One option a strategy takes, for batagg --list-strategies and the docs. */
typedef struct {
	const char *key;  /* as BataggOption.key; "ccls/<threshold>" for a family */
	const char *type; /* "number", "text", "boolean" */
	const char *help; /* one line */
} BataggOptionHelp;

/* What create() fills when it refuses.  The daemon adds the file, line,
 * column and key of the option concerned (or of the strategy's options). */
typedef struct {
	char message[256]; /* one line, NUL-terminated, without the key */
	int option;        /* index of the option concerned in opts, or -1 */
} BataggError;

/* ------------------------------------------------------------------------ */
/* The host                                                                 */

/* Log levels for BataggHost.log, in increasing severity. */
enum {
	BATAGG_LOG_DEBUG = 10,
	BATAGG_LOG_INFO = 20,
	BATAGG_LOG_WARNING = 30,
	BATAGG_LOG_ERROR = 40,
};

/* What the daemon offers one strategy instance.  Given to create(); valid
 * until destroy() returns. */
typedef struct BataggHost BataggHost;
struct BataggHost {
	uint32_t struct_size; /* sizeof(BataggHost) as the daemon was built */
	/* Logs one line (no newline needed) at a BATAGG_LOG_* level, into the
	 * daemon's log, which prefixes the strategy's name. */
	void (*log)(const BataggHost *host, int level, const char *fmt, ...) BATAGG_PRINTF(3, 4);

	/* Since 3.0 (check struct_size before calling one of these when your
	 * plugin may run in an older daemon; every 3.x daemon has them). */

	/* Member m's value of path, as batagg stores it: made sane by the same
	 * rules as the core's own values (a NaN or infinity is invalid, and
	 * docs/PATHS.md says what else each path's rule is).  path must be one
	 * of the paths the strategy's head declares in reads, or one batagg
	 * reads itself (docs/PATHS.md); false (and *out invalid) for any other
	 * path, and for a member the instance does not know.  Any time the
	 * instance lives, from create() on (there are no members before the
	 * first member_added()). */
	bool (*value)(const BataggHost *host, const BataggMember *m, const char *path,
	              BataggValue *out);
	/* Seconds on a monotonic clock: it never goes back and does not follow
	 * the time of day; only differences mean anything. */
	double (*now)(const BataggHost *host);
	/* Asks to be called again in about seconds (0.05 to 86400): the daemon
	 * then computes again what the instance takes part in (the limits for
	 * a ratio method, limiter or CVL mode; the merged path for a merge
	 * policy; the virtual battery's values for a hook), calling the
	 * strategy as a change of its inputs would.  One call is pending per
	 * instance: asking again keeps the earlier of the two times.  A reload
	 * destroys every instance, and what it had pending with it; a member
	 * that leaves changes nothing pending. */
	void (*call_again)(const BataggHost *host, double seconds);
	/* The member's own state: member_state_size bytes (the head's), zeroed
	 * when the member joins the instance's battery and freed when it
	 * leaves, or when the battery's engine goes (a reload, the end: then
	 * without member_removed(), before destroy()); NULL when the strategy
	 * declares none or m is unknown.  From destroy(), value() and
	 * member_state() find nothing. */
	void *(*member_state)(const BataggHost *host, const BataggMember *m);
};

/* ------------------------------------------------------------------------ */
/* The head of every strategy                                               */

typedef enum {
	BATAGG_KIND_RATIO = 1, /* BataggRatioMethod: "currentRatioMethod" */
	BATAGG_KIND_CVL = 2,   /* BataggCvlMode: "cvlMode" */
	BATAGG_KIND_MERGE = 3, /* BataggMergePolicy: "mergePolicies" and the defaults */
	BATAGG_KIND_HOOK = 4,  /* BataggHook: "class:<name>" in "virtualBatteries" */
	/* Since 3.0. */
	BATAGG_KIND_LIMITER = 5, /* BataggLimiter: "limiters" */
} BataggKind;

/* Bits the event callbacks return: what the daemon must recompute. */
enum {
	BATAGG_RECOMPUTE_CCL = 1,
	BATAGG_RECOMPUTE_DCL = 2,
	BATAGG_ESTIMATE_CHANGED = 4, /* a diagnosis changed: published again */
};

typedef struct {
	/* sizeof() the kind's whole table as the plugin was built, e.g.
	 * sizeof(BataggRatioMethod). */
	uint32_t struct_size;
	uint32_t kind; /* a BataggKind */
	/* The name users write in config.json: letters, digits, '_' and '.',
	 * at most 64 bytes.  Unique within its kind. */
	const char *name;
	const char *summary; /* one line, for --list-strategies and messages */
	/* The options it takes (ends with key NULL), or NULL for none: only
	 * documentation, create() decides. */
	const BataggOptionHelp *options;

	/* Optional.  Returns the instance's state (never NULL on success), or
	 * NULL with err filled when it refuses its options.  Without create(),
	 * the strategy takes no options and its state is NULL. */
	void *(*create)(const BataggHost *host, const BataggOption *opts, size_t n_opts,
	                BataggError *err);
	/* Optional; called once for every successful create(). */
	void (*destroy)(void *state);

	/* Optional, for strategies that keep per-member state.  Called for the
	 * aggregate's members (every strategy the aggregate uses that sets
	 * them: its ratio methods and estimator, its CVL mode, its merge
	 * policies; not hooks, which belong to virtual batteries).
	 * member_added is called when a member joins, and again when it
	 * reconnects (its values are fresh then). */
	void (*member_added)(void *state, const BataggMember *m);
	void (*member_removed)(void *state, const BataggMember *m);
	/* Optional, likewise: on every change of a member's /Dc/0/Voltage, with
	 * its latest /Dc/0/Current (V, A; positive current charges).  Returns
	 * BATAGG_* bits. */
	int (*sample)(void *state, const BataggMember *m, double voltage, double current);

	/* Since 3.0. */

	/* The paths the strategy reads of each member, besides those its
	 * kind's input gives it: NULL-terminated, or NULL.  Each is a D-Bus
	 * object path ("/System/MaxCellVoltage", "/Dc/0/Temperature", or a
	 * driver's own such as "/Info/BalancerState"); a path that is not one
	 * is refused at load.  batagg stores each member's value of them (read
	 * with BataggHost.value()), and a change of one computes again, at
	 * once, what the strategy takes part in: the limits for a ratio method,
	 * a limiter or a CVL mode, the merged path for a merge policy, the
	 * values of a hook. */
	const char *const *reads;
	/* Bytes of state the daemon keeps for each member (BataggHost
	 * .member_state()), or 0. */
	size_t member_state_size;
	/* Optional, for every kind (a ratio method's are its table's, below,
	 * as in 2.1): what the strategy learned about a member, kept in the
	 * state file across restarts and reloads.  The same contract as
	 * BataggRatioMethod's save_member, restore_member and reset. */
	int (*save_member)(void *state, const BataggMember *m, char *buf, size_t len);
	int (*restore_member)(void *state, const BataggMember *m, const char *text);
	void (*reset)(void *state, const BataggMember *m);
} BataggStrategy;

/* ------------------------------------------------------------------------ */
/* Ratio methods ("ir", "capacity", "count", ...)                           */

/* The members connected for one limit: the BMSes (members that have
 * reported a CVL) whose /Io/AllowToCharge (AllowToDischarge for the DCL) is
 * not 0, a member without the flag counting as connected; in joining
 * order. */
typedef struct {
	size_t n;
	const BataggMember *members;
	/* capacity[i]: member i's /InstalledCapacity (Ah, > 0); invalid when it
	 * has none, or when the config fixes the bank "capacity". */
	const BataggNum *capacity;
	/* Whether any BMS member (connected or not) reports this limit's Allow
	 * flag at all. */
	bool allow_reported;
	/* The capacity to share: the configured "capacity", else the sum over
	 * the BMS members that report one. */
	BataggNum bank_capacity;
	bool discharge; /* false: for the CCL; true: for the DCL */
} BataggRatioInput;

/* A member's diagnosis, published in /System/InternalResistances,
 * /System/EMFs and /System/InternalResistanceCorrections. */
typedef struct {
	BataggNum resistance; /* ohm, including any correction */
	BataggNum emf;        /* V */
	BataggNum correction; /* factor applied to the fitted resistance */
} BataggMemberDiag;

typedef struct {
	BataggStrategy head; /* .kind = BATAGG_KIND_RATIO */

	/* Required.  For each connected member i of in, out[i] = bank current /
	 * member i's current, so that the bank reaches member i's limit at
	 * limit_i * out[i].  out[i] starts invalid; leave it so for a member
	 * this method cannot serve.  The daemon keeps a ratio only when it is
	 * finite and >= 1; for the others it asks the fallback. */
	void (*ratios)(void *state, const BataggRatioInput *in, BataggNum *out);
	/* The ratio method asked for the members this one cannot serve (its
	 * name), or NULL.  A member no method of the chain serves gets an equal
	 * share: its ratio is the number of connected members. */
	const char *fallback;
	/* Optional.  On every change of a member's /Dc/0/Current, with its own
	 * limits, to the ratio methods of the chain (the configured one and its
	 * fallbacks), so that a method can correct itself when a member carries
	 * more than its limit.  Returns BATAGG_* bits. */
	int (*current)(void *state, const BataggMember *m, double current, BataggNum ccl,
	               BataggNum dcl);
	/* Optional.  Fills the member's diagnosis; returns 0, or -1 when the
	 * member is unknown to it.  Published from the configured method when
	 * it has one, else from the estimator (the method that runs always to
	 * estimate resistances, "ir" by default). */
	int (*diagnose)(void *state, const BataggMember *m, BataggMemberDiag *out);

	/* Since 2.1; all three optional.  What a method has learned about a
	 * member (a resistance, say) can outlive the daemon: the daemon keeps
	 * it in its state file ("stateFile"), one text per member and method,
	 * and gives it back when the same battery joins again.
	 *
	 * save_member() writes the member's state into buf (len bytes,
	 * BATAGG_MEMBER_STATE_MAX) as a NUL-terminated UTF-8 text of the
	 * method's own making (JSON, or anything else; put a version of your
	 * format in it) and returns its length without the NUL; 0 when there is
	 * nothing worth keeping (the daemon then forgets what it kept); -1 when
	 * the member is unknown to it.  A length of len or more (snprintf's way
	 * of saying it did not fit) keeps nothing.  Called for every member
	 * at most once a minute, after a reset, when the daemon stops, and
	 * before a reload destroys the instance.
	 *
	 * restore_member() is given such a text back, once, when a member
	 * first joins after a start (or a reload): after member_added(), before
	 * the daemon computes anything with the member.  Only a member with the
	 * service name and /Serial (none counting as "") the text was saved
	 * with gets it.  The text may come from an older build of the plugin,
	 * or be damaged: check it, and keep nothing of a text you cannot use.
	 * Returns BATAGG_* bits (what to recompute), or -1 when it refuses the
	 * text (the daemon logs it; the member starts afresh).
	 *
	 * reset() forgets what was learned about member m, or about every
	 * member when m is NULL (the user asked, on /System/ResetEstimates);
	 * the members stay known.  The daemon recomputes the limits and the
	 * diagnosis afterwards. */
	int (*save_member)(void *state, const BataggMember *m, char *buf, size_t len);
	int (*restore_member)(void *state, const BataggMember *m, const char *text);
	void (*reset)(void *state, const BataggMember *m);
} BataggRatioMethod;

/* The size of save_member()'s buffer, its NUL included. */
#define BATAGG_MEMBER_STATE_MAX 8192

/* ------------------------------------------------------------------------ */
/* CVL modes ("max_when_balancing", ..., "dvcc")                            */

typedef struct {
	size_t n;
	const BataggMember *members; /* every member of the aggregate */
	const BataggNum *cvl;        /* cvl[i]: member i's /Info/MaxChargeVoltage (V, > 0) */
	/* charge_mode[i]: member i's /Info/ChargeMode, NULL when it has none. */
	const char *const *charge_mode;
	BataggNum balancing;          /* the aggregate's /Balancing (0/1) */
	const char *bank_charge_mode; /* the aggregate's /Info/ChargeMode, or NULL */
	/* The user's cap U: /Settings/SystemSetup/MaxChargeVoltage when DVCC is
	 * on, else 0.  0 means no cap. */
	double user_cap;
} BataggCvlInput;

typedef struct {
	BataggStrategy head; /* .kind = BATAGG_KIND_CVL */
	/* Required.  The bank's CVL (V).  The daemon publishes it only when it
	 * is finite and > 0; anything else publishes "no limit". */
	BataggNum (*cvl)(void *state, const BataggCvlInput *in);
} BataggCvlMode;

/* ------------------------------------------------------------------------ */
/* Merge policies ("sum", "mean", "max", "first", ...)                      */

typedef struct {
	size_t n;                  /* inputs, in precedence (or joining) order */
	const BataggValue *values; /* values[i]: input i's value of the path */
	/* keys[i]: input i's value of the policy's key path (its key_path, or
	 * the path's own key such as /System/MinCellVoltage for
	 * /System/MinVoltageCellId); NULL when there is none. */
	const BataggValue *keys;
	/* labels[i]: input i's display name (BataggMember.label). */
	const char *const *labels;
	const char *path; /* the path being merged, e.g. "/Soc" */
	/* Since ABI 2.1: second_keys[i]: input i's value of the policy's
	 * second_key_path; NULL when it has none. */
	const BataggValue *second_keys;
	/* Since 3.0: members[i]: the member input i is (its id, service and
	 * names; read its other paths with BataggHost.value()); NULL for the
	 * inputs of a virtual battery, which are services, not members. */
	const BataggMember *members;
} BataggMergeInput;

typedef struct {
	BataggStrategy head; /* .kind = BATAGG_KIND_MERGE */
	/* The key path read for every input into BataggMergeInput.keys, e.g.
	 * "/InstalledCapacity" for a capacity-weighted mean; NULL to use the
	 * path's own key (or none). */
	const char *key_path;
	/* Required.  Sets *out (it starts invalid).  A text result points to
	 * static storage, or is written to text (text_len bytes, with
	 * batagg_text_copy()) with out->text = text; it must not point into
	 * in. */
	void (*merge)(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
	              size_t text_len);
	/* Since ABI 2.1, optional: a second path read for every input into
	 * BataggMergeInput.second_keys, e.g. "/Dc/0/Current" for a time to go
	 * computed from "/Capacity" (the key_path).  The path is merged again
	 * when either key changes. */
	const char *second_key_path;
} BataggMergePolicy;

/* ------------------------------------------------------------------------ */
/* Hooks ("hooks.FixedValueHook", ...)                                      */

enum {
	/* The hook's value counts at its position among the virtual battery's
	 * members: the first valid value in config order wins. */
	BATAGG_HOOK_IN_ORDER = 0,
	/* The hook's value wins over every member's, wherever it is listed. */
	BATAGG_HOOK_OVERRIDES = 1,
};

typedef struct {
	BataggStrategy head; /* .kind = BATAGG_KIND_HOOK */
	/* The virtual battery's merged path the hook reads (e.g.
	 * "/Dc/0/Voltage"), NULL for none. */
	const char *key_path;
	uint32_t placement; /* BATAGG_HOOK_* */
	/* Required.  Whether the hook supplies path; asked once per battery
	 * path when the instance is created. */
	bool (*provides)(void *state, const char *path);
	/* Required, unless values() (3.0) is given.  The hook's value of
	 * path: key is the virtual battery's merged value of key_path
	 * (invalid without one), previous the value the hook gave last
	 * (invalid at first).  Sets *out (it starts invalid), text as for
	 * merge(). */
	void (*value)(void *state, const char *path, const BataggValue *key,
	              const BataggValue *previous, BataggValue *out, char *text, size_t text_len);

	/* Since 3.0, optional: several key paths (NULL-terminated), each the
	 * virtual battery's merged value, and values() called instead of
	 * value() with them and the services the virtual battery is made of
	 * (names, its members in config order; hooks left out).  A hook with
	 * values() may leave value() NULL. */
	const char *const *key_paths;
	void (*values)(void *state, const char *path, const BataggValue *keys, size_t n_keys,
	               const char *const *services, size_t n_services, const BataggValue *previous,
	               BataggValue *out, char *text, size_t text_len);
} BataggHook;

/* ------------------------------------------------------------------------ */
/* Limiters ("cell_voltage", "temperature", ...), since 3.0                 */

/* What a limiter is told of one member: its own limits, as the core has
 * them (sane: see docs/PATHS.md). */
typedef struct {
	BataggNum ccl;      /* its /Info/MaxChargeCurrent, A */
	BataggNum dcl;      /* its /Info/MaxDischargeCurrent, A */
	BataggNum cvl;      /* its /Info/MaxChargeVoltage, V */
	BataggNum capacity; /* its /InstalledCapacity, Ah */
	/* The limit being computed (BATAGG_LIMIT_*): caps() is called for
	 * each limit in turn; the cap of that limit and its why are the ones
	 * used, so why may speak of that limit alone. */
	int limit;
} BataggLimitInput;

enum {
	BATAGG_LIMIT_CCL = 0,
	BATAGG_LIMIT_DCL = 1,
	BATAGG_LIMIT_CVL = 2,
};

/* A limiter's caps; each starts invalid (no cap). */
typedef struct {
	BataggNum ccl, dcl, cvl;
	/* What decided them, for the limitation text, e.g. "3.58 V" or
	 * "3.0 °C"; "" for nothing to say.  Copy with batagg_text_copy(). */
	char why[48];
} BataggCaps;

typedef struct {
	BataggStrategy head; /* .kind = BATAGG_KIND_LIMITER */
	/* Required.  Caps for member m.  The daemon uses min(the member's own
	 * limit, the cap) as the member's limit, before the ratio method
	 * shares the bank current (so the member's share of the bank limit
	 * falls with it) and before the CVL mode chooses.  A limiter can only
	 * lower a limit: a cap above the member's own changes nothing, a cap
	 * that is not finite is no cap, a negative one counts as 0, and a
	 * member without a limit of its own keeps none (with a member's limit
	 * unknown the bank's is 0 or none, and a cap would raise it).  Several
	 * limiters: the lowest cap wins, and the limitation text names it. */
	void (*caps)(void *state, const BataggMember *m, const BataggLimitInput *in,
	             BataggCaps *out);
	/* Optional.  Caps on the bank's published CCL, DCL and CVL, after the
	 * members' (in: the bank's limits as computed; capacity: the bank's). */
	void (*bank_caps)(void *state, const BataggLimitInput *in, BataggCaps *out);
} BataggLimiter;

/* ------------------------------------------------------------------------ */
/* Helpers (inline: no symbol of the daemon's, no library needed)           */

/* Since 3.0: member m's number at path (BataggHost.value()), invalid when
 * the path is none the strategy may read, or holds no number. */
static inline BataggNum batagg_member_number(const BataggHost *host, const BataggMember *m,
                                             const char *path)
{
	BataggValue v = {0};
	BataggNum n = {0};

	if (host->value(host, m, path, &v) && v.type == BATAGG_VALUE_NUMBER) {
		n.value = v.number;
		n.valid = true;
	}
	return n;
}

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
	/* Its strategies, each the head of its kind's table; NULL ends it. */
	const BataggStrategy *const *strategies;
} BataggPluginDesc;

#if defined(__GNUC__)
#define BATAGG_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BATAGG_PLUGIN_EXPORT
#endif

/* Defines the plugin's descriptor.  Use once per shared object. */
#define BATAGG_PLUGIN_DEFINE(name_, version_, description_, strategies_)                           \
	BATAGG_PLUGIN_EXPORT extern const BataggPluginDesc batagg_plugin;                          \
	const BataggPluginDesc batagg_plugin = {                                                   \
	        .abi_major = BATAGG_PLUGIN_ABI_MAJOR,                                              \
	        .abi_minor = BATAGG_PLUGIN_ABI_MINOR,                                              \
	        .struct_size = sizeof(BataggPluginDesc),                                           \
	        .name = (name_),                                                                   \
	        .version = (version_),                                                             \
	        .description = (description_),                                                     \
	        .strategies = (strategies_),                                                       \
	}

#ifdef __cplusplus
}
#endif

#endif /* BATAGG_PLUGIN_H */
