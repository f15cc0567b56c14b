"""Dynamic threads: a step whose size earns a team runs on one thread when timing finds that
faster (core/thread_choice.h). The policy is checked on given step times, training with it against
training without, and the switch's Python API."""
import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")
C = fm._core._thread_choice_constants()
# Seconds: 244 us, about a 784-128-10 step at batch 64 (and 3 ms is no whole number of them).
STEP = 2.0 ** -12
# Steps a trial's challenger takes: one to settle, then timed ones for 3 ms or, a clear loser, 3.
FULL_BLOCK = C["settle_steps"] + int(np.ceil(C["block_seconds"] / STEP))
CUT_BLOCK = C["settle_steps"] + C["min_timed_steps"]
# The share of steps a challenger not clearly slower takes once the choice holds: a full block in
# each longest period.
TRYING = FULL_BLOCK * STEP / C["longest_period"]


def trace(one_thread, on_team, team=2, switch_cost=0.0, paused=False):
    """The thread counts the choice gives steps of these times (seconds per step, per count),
    training resuming after a pause before the steps where `paused` is true."""
    n = np.shape(one_thread)
    team = np.ascontiguousarray(np.broadcast_to(np.asarray(team, dtype=np.int32), n))
    paused = np.ascontiguousarray(np.broadcast_to(np.asarray(paused, dtype=bool), n))
    return fm._core._thread_choice_trace(one_thread, on_team, team, switch_cost, paused)


def run_lengths(mask):
    """Lengths of the runs of True in mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


@pytest.mark.parametrize("one_faster", [True, False])
def test_keeps_the_faster_count_and_rarely_tries_the_other(one_faster):
    n = 40_000
    fast, slow = np.full(n, STEP), np.full(n, 1.4 * STEP)
    one, team = (fast, slow) if one_faster else (slow, fast)
    threads = trace(one, team, 2)
    assert set(np.unique(threads)) == {1, 2}
    slower = (threads == 2) if one_faster else (threads == 1)
    # The team until the first period is over; then the challenger's blocks alone.
    assert np.all(threads[:int(C["first_period"] / team[0])] == 2)
    settled = slower[n // 2:]
    assert 0 < settled.mean() < 0.01


def test_a_tie_keeps_the_team():
    threads = trace(np.full(20_000, STEP), np.full(20_000, STEP), 2)
    # One thread only for the challenger's blocks: a step to settle and 3 ms timed.
    lengths = run_lengths(threads == 1)
    assert len(lengths) > 3 and np.all(lengths == FULL_BLOCK)


def test_a_clear_loser_is_cut_short():
    # A challenger 1.6x slower per row after its three timed steps has lost: its block ends there.
    threads = trace(np.full(20_000, 1.6 * STEP), np.full(20_000, STEP), 2)
    lengths = run_lengths(threads == 1)
    assert len(lengths) > 3 and np.all(lengths == CUT_BLOCK)


def test_follows_a_change_within_the_longest_period():
    n, change = 60_000, 30_000
    one = np.where(np.arange(n) < change, 1.5 * STEP, STEP)  # the team faster first, then one
    threads = trace(one, np.full(n, 1.2 * STEP), 2)
    assert (threads[change // 2:change] == 2).mean() > 0.99
    # The first run of one-thread steps longer than a trial's block starts after the change, within
    # a longest period and the two blocks of the trial that sees it.
    lengths = run_lengths(threads == 1)
    starts = np.flatnonzero(np.diff(np.concatenate([[0], (threads == 1).astype(np.int8)])) == 1)
    first_kept = starts[np.argmax(lengths > FULL_BLOCK)]
    assert change < first_kept <= change + (C["longest_period"] / STEP + 2 * FULL_BLOCK)
    assert (threads[first_kept:] == 1).mean() > 1 - 1.2 * TRYING


def test_the_cost_of_switching_does_not_decide():
    # The first step after a switch pulls what the other count's threads wrote into its caches:
    # here it costs 3 steps more (as with the vCPUs apart), and one thread is 1.2x faster after.
    n = 40_000
    threads = trace(np.full(n, STEP), np.full(n, 1.2 * STEP), 2, switch_cost=3 * STEP)
    assert (threads[n // 2:] == 1).mean() > 1 - 1.2 * TRYING


def test_a_preempted_team_is_as_slow_as_it_was():
    # A busy core: one team step in five loses a 4 ms time slice. Faster on most steps, the team
    # is 3.6x slower on the whole: its slow steps count.
    rng = np.random.default_rng(0)
    n = 40_000
    team = STEP + np.where(rng.random(n) < 0.2, 0.004, 0.0)
    threads = trace(np.full(n, 1.4 * STEP), team, 2)
    assert (threads[n // 2:] == 1).mean() > 0.95


def test_noise_on_both_counts_does_not_mislead():
    rng = np.random.default_rng(1)
    n = 40_000
    threads = trace(STEP * rng.uniform(0.8, 1.2, n), 1.25 * STEP * rng.uniform(0.8, 1.2, n), 2)
    assert (threads[n // 2:] == 1).mean() > 0.97


def test_cold_steps_after_a_pause_do_not_decide():
    # Fits of 64 steps, each after another library filled the caches: a fit's first 3 steps take
    # 6x as long on either count. The team is 1.4x faster once warm; trials against a block of
    # cold steps would hand one thread the next 20 ms (without the pauses: 12 % of the steps).
    n, fit = 64 * 400, 64
    paused = np.arange(n) % fit == 0
    cold = np.where(np.arange(n) % fit < 3, 6.0, 1.0)
    threads = trace(1.4 * STEP * cold, STEP * cold, 2, paused=paused)
    assert (threads[n // 2:] == 2).mean() > 1 - TRYING
    assert (threads == 1).any()  # it still tries one thread


def test_steps_without_a_team_take_no_part():
    # Steps that earn no team (an epoch's last, smaller batch) run on one thread and leave the
    # choice as it was: the steps with a team get the counts they get without the others.
    rng = np.random.default_rng(2)
    n = 30_000
    one, team = STEP * rng.uniform(0.8, 1.2, n), 1.1 * STEP * rng.uniform(0.8, 1.2, n)
    earned = np.where(rng.random(n) < 0.3, 1, 3)
    threads = trace(one, team, earned)
    assert np.all(threads[earned == 1] == 1)
    with_team = earned == 3
    assert np.array_equal(threads[with_team], trace(one[with_team], team[with_team], 3))
    assert set(np.unique(threads[with_team])) == {1, 3}


def test_trace_refuses_mismatched_times():
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        fm._core._thread_choice_trace(np.ones(3), np.ones(4), np.full(3, 2, np.int32), 0.0,
                                      np.zeros(3, bool))
    with pytest.raises(ValueError, match="team must be >= 1; got 0"):
        trace(np.ones(3), np.ones(3), 0)


def train(dynamic, threads, dtype, X, y):
    fm.set_num_threads(threads)
    fm.set_dynamic_threads(dynamic)
    # 200-128-10 at batch 64: 6 x 64 x 27k operations, a team step (2^22 to 2^28)
    model = fm.Sequential([fm.layers.Dense(128, activation="relu"),
                           fm.layers.Dense(10, activation="softmax")],
                          input_dim=200, seed=3, dtype=dtype)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    history = model.fit(X.astype(dtype), y, epochs=5, batch_size=64, verbose=0)
    assert model._net._step_threads(64) == threads
    assert fm.get_num_threads() == threads  # no step left its thread held to one
    return model, history.history["loss"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_with_dynamic_threads_gives_the_same_bits(restore_threads, dtype):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20_000, 200))
    y = rng.integers(0, 10, 20_000)
    dynamic, loss = train(True, 2, dtype, X, y)
    one_steps, team_steps = dynamic._net._thread_choice_steps
    # 5 x 313 steps, the last of each epoch 32 rows (a team's too), 0.1 s or more in all: at least
    # one trial, which ran steps on each count.
    assert dynamic._net._step_threads(20_000 % 64) == 2
    assert one_steps + team_steps == 5 * 313 and one_steps >= CUT_BLOCK and team_steps > 0
    for fixed_threads in (2, 1):
        fixed, fixed_loss = train(False, fixed_threads, dtype, X, y)
        assert fixed._net._thread_choice_steps == (0, 0)
        assert fixed_loss == loss
        for a, b in zip(dynamic.get_weights(), fixed.get_weights()):
            assert np.array_equal(a, b)


def test_small_and_large_steps_take_no_part(restore_threads):
    # Below 2^22 operations a step runs on one thread anyway, above 2^28 each kernel splits its own
    # work: neither has a team to choose against.
    fm.set_dynamic_threads(True)
    fm.set_num_threads(2)
    rng = np.random.default_rng(1)
    for inputs, units in ((4, 8), (1024, 2048)):
        model = fm.Sequential([fm.layers.Dense(units, activation="relu"), fm.layers.Dense(2)],
                              input_dim=inputs)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(rng.normal(size=(64 * 3, inputs)), rng.normal(size=(64 * 3, 2)), epochs=1,
                  batch_size=64, verbose=0)
        assert model._net._step_threads(64) == 1
        assert model._net._thread_choice_steps == (0, 0)


def test_switch_and_its_report(restore_threads, capsys):
    assert fm.get_dynamic_threads() is False  # restore_threads holds the counts fixed
    fm.show_config()
    assert "(dynamic)" not in capsys.readouterr().out
    fm.set_dynamic_threads(True)
    assert fm.get_dynamic_threads() is True
    fm.show_config()
    assert "(dynamic)" in capsys.readouterr().out
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match=f"enabled must be True or False; got {bad!r}"):
            fm.set_dynamic_threads(bad)
    assert fm.get_dynamic_threads() is True
    fm.set_dynamic_threads(np.False_)
    assert fm.get_dynamic_threads() is False
