#include "core/thread_choice.h"

#include <algorithm>

namespace fastmlp {

int ThreadChoice::next(int team) {
  timing_wanted_ = team > 1;
  if (!timing_wanted_) return 1;
  const bool one = one_ != trial_;
  ++steps_[one];
  return one ? 1 : team;
}

void ThreadChoice::start_block() {
  block_steps_ = 0;
  block_seconds_ = 0;
  block_rows_ = 0;
}

void ThreadChoice::resume() {
  start_block();
  trial_ = false;  // a trial in progress starts again after the choice's next block
  paused_ = true;
}

void ThreadChoice::record(double seconds, i64 rows) {
  if (!timing_wanted_) return;
  timing_wanted_ = false;
  if (!trial_) run_left_ -= seconds;
  if (block_steps_++ >= kSettleSteps) {
    block_seconds_ += seconds;
    block_rows_ += rows;
  }
  if (block_steps_ < kSettleSteps + kMinTimedSteps) return;
  const double per_row = block_seconds_ / double(block_rows_);  // a step has a row or more
  const bool lost = trial_ && per_row > kClearLoss * choice_per_row_;
  if (block_seconds_ < kBlockSeconds && !lost) return;
  start_block();
  if (!trial_) {
    choice_per_row_ = per_row;
    trial_ = run_left_ <= 0 && !paused_;
    paused_ = false;
    return;
  }
  trial_ = false;
  const bool switch_over = per_row < choice_per_row_;  // a tie keeps the choice
  one_ = one_ != switch_over;
  period_ = switch_over ? kFirstPeriod : std::min(2 * period_, kLongestPeriod);
  run_left_ = period_;
}

}  // namespace fastmlp
