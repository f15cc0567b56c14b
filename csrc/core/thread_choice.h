// Which of two thread counts a training step runs on: the team its size earns
// (Network::step_threads), or one thread. Which is faster depends on more than the step: where the
// threads sit (two vCPUs on different last-level caches pay about 300 ns for each cache line passed
// between them, against 50 on one) and what else the cores run. On an AMD EPYC host, 2 threads
// trained 784-128-10 at batch 64 1.49x as fast as 1 with the vCPUs on one cache and 0.72x as fast
// with them apart, and the host moved between the two for minutes at a time. So the choice times
// both now and then and keeps the faster. A step's results do not depend on its thread count, so
// switching changes no bit.
#pragma once
#include "core/common.h"

namespace fastmlp {

class ThreadChoice {
 public:
  // Threads for the next step, whose size earns a team of `team` (1: there is nothing to choose,
  // and the step takes no part in the choice).
  int next(int team);
  // Whether record() wants the time of the step next() was last asked for (it had a team).
  bool timing_wanted() const { return timing_wanted_; }
  // That step's time and rows.
  void record(double seconds, i64 rows);
  // Training goes on after a pause (a new fit, or the caller's work between epochs), in caches
  // that others filled meanwhile: the block in progress starts over (a trial's too), and no
  // trial compares with the choice's first block after the pause. With a PyTorch run before each
  // fit of 128 steps (mnist-m-b32, as compare.py runs them), trials against those cold blocks put
  // the steps on one thread for 20 ms of many fits and cost 7.6 % with the vCPUs together.
  void resume();
  // Steps so far, by the count next() gave, among those with a team to choose against.
  i64 one_thread_steps() const { return steps_[1]; }
  i64 team_steps() const { return steps_[0]; }

  // Steps are timed in blocks. A block's first step is not counted: after a switch it pulls the
  // parameters, gradients and optimizer state the other count's threads last wrote into its own
  // caches, a cost the steps after it do not pay (784-128-10 at batch 64: 10% more than the next
  // steps on one thread, 25-35% on a team with the vCPUs apart). The other steps all count,
  // however slow: a team whose thread the OS preempts for a time slice (a busy core: 4 ms in
  // every few steps of 0.2 ms, measured) is slow by exactly those steps, which a median would
  // have thrown away. With a busy loop on the other core, blocks of 3 ms trained 1.19x faster
  // than the team alone and blocks of 1 ms no faster. A trial runs one block on the challenger
  // and compares its time per row with the choice's block just before; a challenger already this
  // much slower after its first timed steps has lost, and its block ends there (a trial then
  // costs 4 steps, not 16).
  static constexpr int kSettleSteps = 1, kMinTimedSteps = 3;
  static constexpr double kBlockSeconds = 0.003, kClearLoss = 1.2;
  // Training time between trials: the first period, doubled after each trial that keeps the choice
  // up to the longest, and the first again after a trial that changes it. The longest weighs the
  // trials' cost (a clear loser's 4 steps: under 1% of the steps) against the time spent on the
  // slower count after the conditions change: on the EPYC host, whose vCPUs moved apart and back
  // every minute or so, runs with the vCPUs together lost 9% to that lag with 1.28 s, and 1.6%
  // with 0.16 s and clear losers cut short.
  static constexpr double kFirstPeriod = 0.02, kLongestPeriod = 0.16;

 private:
  void start_block();

  bool one_ = false;  // the choice: one thread (true) or the team
  bool trial_ = false;  // the block in progress is the challenger's
  bool paused_ = false;  // the block in progress is the first after a pause
  double period_ = kFirstPeriod, run_left_ = kFirstPeriod;
  int block_steps_ = 0;  // of the block in progress: its steps, and the counted ones' time and rows
  double block_seconds_ = 0;
  i64 block_rows_ = 0;
  double choice_per_row_ = 0;  // the choice's last block
  bool timing_wanted_ = false;
  i64 steps_[2] = {0, 0};
};

}  // namespace fastmlp
