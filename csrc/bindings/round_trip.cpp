// An internal binding for bench/compare.py: the time a cache line takes to go from one CPU to
// another and back. On a virtual machine two vCPUs may share a last-level cache or sit in
// different ones (on AMD, different CCDs), and which of the two a run got changes every
// library's speed (measured on a Zen 4 host: 50-76 ns together, 298-350 ns apart, where
// mnist-m-128's step took 1.2-1.4 ms longer in PyTorch and fastmlp alike). The benchmark
// records it with each round of timed runs so that a report says which placement it measured.
#include "bindings/round_trip.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace py = pybind11;

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__linux__)
constexpr long kMaxRoundTrips = 100'000'000;

bool allowed(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  return CPU_ISSET(cpu, &set);
}

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// One shared line: the asking thread writes odd values and waits for the next even one, the
// answering thread answers each odd value with the even one after it, until the asker writes
// kStop. Either side gives up (and says so in `failed`) when a wait lasts a second: a CPU that
// never runs its thread must not hang the caller.
constexpr long kStop = -1;

struct alignas(64) Line {
  std::atomic<long> value{0};
  std::atomic<bool> failed{false};
};

// Waits for `expected` (or kStop); false if the other side stopped or failed first.
bool wait_for(Line& line, long expected) {
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  for (long spins = 1;; ++spins) {
    const long v = line.value.load(std::memory_order_acquire);
    if (v == expected) return true;
    if (v == kStop) return false;
    if (spins % 4096 == 0 && (line.failed.load(std::memory_order_relaxed) ||
                              Clock::now() > deadline)) {
      line.failed.store(true, std::memory_order_relaxed);
      return false;
    }
  }
}

// Mean nanoseconds of `round_trips` trips, after untimed ones for at least 20 ms: idle cores
// first answer at about twice their steady time.
double round_trip_ns(int cpu_a, int cpu_b, long round_trips) {
  Line line;
  bool pinned_a = false, pinned_b = false;
  double seconds = 0;
  std::thread answering([&] {
    pinned_b = pin_to(cpu_b);
    if (!pinned_b) line.failed.store(true);
    for (long i = 0; !line.failed.load(std::memory_order_relaxed); ++i) {
      if (!wait_for(line, 2 * i + 1)) break;
      line.value.store(2 * i + 2, std::memory_order_release);
    }
  });
  std::thread asking([&] {
    pinned_a = pin_to(cpu_a);
    if (!pinned_a) line.failed.store(true);
    long i = 0;
    const auto trip = [&] {
      line.value.store(2 * i + 1, std::memory_order_release);
      return wait_for(line, 2 * ++i);
    };
    const auto warm_until = Clock::now() + std::chrono::milliseconds(20);
    while (!line.failed.load() && Clock::now() < warm_until && trip()) {
    }
    const auto start = Clock::now();
    for (long n = 0; n < round_trips && !line.failed.load(std::memory_order_relaxed) && trip();)
      ++n;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    line.value.store(kStop, std::memory_order_release);
  });
  asking.join();
  answering.join();
  if (!pinned_a || !pinned_b)
    throw std::runtime_error("_core_to_core_round_trip_ns: could not pin a thread to CPU " +
                             std::to_string(pinned_a ? cpu_b : cpu_a));
  if (line.failed.load())
    throw std::runtime_error("_core_to_core_round_trip_ns: a thread waited over a second for "
                             "the other: is CPU " + std::to_string(cpu_a) + " or " +
                             std::to_string(cpu_b) + " running?");
  return seconds * 1e9 / double(round_trips);
}
#endif

double round_trip_checked(int cpu_a, int cpu_b, long round_trips) {
#if defined(__linux__)
  for (const auto& [name, cpu] : {std::pair{"cpu_a", cpu_a}, std::pair{"cpu_b", cpu_b}})
    if (!allowed(cpu))
      throw py::value_error(std::string("_core_to_core_round_trip_ns: ") + name +
                            " must be a CPU this process may run on (os.sched_getaffinity(0)); "
                            "got " + std::to_string(cpu));
  if (cpu_a == cpu_b)
    throw py::value_error("_core_to_core_round_trip_ns: cpu_a and cpu_b must differ; both are " +
                          std::to_string(cpu_a));
  if (round_trips < 1 || round_trips > kMaxRoundTrips)
    throw py::value_error("_core_to_core_round_trip_ns: round_trips must be in [1, " +
                          std::to_string(kMaxRoundTrips) + "]; got " +
                          std::to_string(round_trips));
  py::gil_scoped_release no_gil;
  return round_trip_ns(cpu_a, cpu_b, round_trips);
#else
  (void)cpu_a, (void)cpu_b, (void)round_trips;
  throw std::runtime_error("_core_to_core_round_trip_ns: needs Linux's thread affinity");
#endif
}

}  // namespace

void bind_round_trip(py::module_& m) {
  m.def("_core_to_core_round_trip_ns", &round_trip_checked, py::arg("cpu_a"), py::arg("cpu_b"),
        py::arg("round_trips") = 20000,
        "internal: mean ns for a cache line to go from cpu_a to cpu_b and back (Linux)");
}
