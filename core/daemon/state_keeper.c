/* SPDX-License-Identifier: MIT */
/*
 * The state file of the running config: which file, reading it, writing
 * it (a failure said once, until a write works again).
 */
#include "daemon/state_keeper.h"

#include "daemon/startup.h"
#include "engine/state_file.h"

/* What the strategies learned goes to flash at most this often (and when
 * batagg stops or reloads): flash memory wears. */
#define SAVE_INTERVAL_S 60

struct StateKeeper {
	char *config_path;
	char *state_dir;
	/* What the aggregate's strategies learned, and where it is kept: both
	 * NULL when nothing is kept (stateFile false). */
	StateFile *state;
	char *state_path;
	gboolean state_chosen; /* state_path is the running config's */
	guint save_timer;
	gboolean save_failed; /* said once, until a save succeeds again */
	Engine *aggregate;    /* borrowed: the running aggregate's engine */
};

StateKeeper *state_keeper_new(const char *config_path, const char *state_dir)
{
	StateKeeper *k = g_new0(StateKeeper, 1);

	k->config_path = g_strdup(config_path);
	k->state_dir = g_strdup(state_dir);
	return k;
}

void state_keeper_free(StateKeeper *k)
{
	if (!k)
		return;
	if (k->save_timer)
		g_source_remove(k->save_timer);
	g_free(k->config_path);
	g_free(k->state_dir);
	g_free(k->state_path);
	state_file_free(k->state);
	g_free(k);
}

/* Writes the state file; a failure is said once, until a write works. */
static void write_state(StateKeeper *k)
{
	g_autoptr(GError) error = NULL;

	if (!state_file_write(k->state, k->state_path, &error)) {
		if (!k->save_failed)
			g_warning(
			        "cannot keep what batagg learned about the batteries: %s (it tries "
			        "again every %d s)",
			        error->message, SAVE_INTERVAL_S);
		k->save_failed = TRUE;
		return;
	}
	if (k->save_failed)
		g_info("state file %s written again", k->state_path);
	else
		g_debug("state file %s written", k->state_path);
	k->save_failed = FALSE;
}

void state_keeper_save(StateKeeper *k)
{
	if (!k->state)
		return;
	learned_save(k->aggregate);
	if (state_file_dirty(k->state) || k->save_failed)
		write_state(k);
}

static gboolean on_save_timer(gpointer data)
{
	state_keeper_save(data);
	return G_SOURCE_CONTINUE;
}

/* Where the running config keeps the state file, or NULL. */
static char *state_path_of(const StateKeeper *k, const Config *cfg)
{
	if (cfg->state_file_off)
		return NULL;
	if (cfg->state_file)
		return g_strdup(cfg->state_file);
	return startup_state_path(k->config_path, k->state_dir);
}

/* The state file at path, or (said once: it is read at start, or when a
 * reload names another file) an empty state when it cannot be used; the
 * next save replaces it. */
static StateFile *read_state(const char *path)
{
	g_autoptr(GError) error = NULL;
	StateFile *sf = state_file_load(path, &error);

	if (!sf) {
		g_warning("%s: ignored (the batteries' resistances are learned afresh, and the "
		          "file is replaced at the next save)",
		          error->message);
		return state_file_new();
	}
	g_info("state file %s: saved state of %u batteries", path, state_file_len(sf));
	return sf;
}

void state_keeper_use(StateKeeper *k, const Config *cfg, Engine *aggregate)
{
	g_autofree char *path = state_path_of(k, cfg);

	if (!k->state_chosen || g_strcmp0(path, k->state_path) != 0) {
		gboolean moving = k->state && path;

		k->state_chosen = TRUE;
		g_free(k->state_path);
		k->state_path = g_steal_pointer(&path);
		if (k->save_timer)
			g_source_remove(k->save_timer);
		k->save_timer = 0;
		k->save_failed = FALSE;
		if (!k->state_path) {
			state_file_free(k->state);
			k->state = NULL;
			g_info("stateFile is false: what batagg learns about the batteries is not "
			       "kept");
		} else if (moving) {
			/* Said once it is there (a test waits for the line). */
			write_state(k);
			g_info("state file: now %s", k->state_path);
		} else {
			k->state = read_state(k->state_path);
		}
		if (k->state_path)
			k->save_timer = g_timeout_add_seconds(SAVE_INTERVAL_S, on_save_timer, k);
	}
	k->aggregate = aggregate;
	learned_use(aggregate, k->state);
}
