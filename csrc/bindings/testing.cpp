// Internal bindings for the tests and the kernel benchmarks only (names start with an underscore;
// not part of the API): the GEMM with every stride layout and epilogue, the dispatched ISA, the
// vector math, the activations forward and backward, the losses with their gradient, the sum
// of squares behind gradient norms and the L2 penalty, dropout's masks, and the thread choice's
// policy on given step times.
#include "bindings/testing.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "core/activations.h"
#include "core/gemm/gemm.h"
#include "core/layers/dropout.h"
#include "core/optim.h"
#include "core/thread_choice.h"
#include "core/vmath.h"

namespace py = pybind11;
using namespace fastmlp;
using fastmlp::bindings::checked_targets;
using fastmlp::bindings::enum_from_name;
using fastmlp::bindings::overlapping;

namespace {

template <class T>
using In = py::array_t<T, py::array::c_style | py::array::forcecast>;
template <class T>
using Out = py::array_t<T, py::array::c_style>;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

// The GEMM's epilogue applies elementwise activations only.
Act act_from_name(const std::string& name) {
  const Act act = enum_from_name<Act>(kActivationNames, name, "activation");
  require(act != Act::Softmax, "_gemm: no elementwise activation '" + name + "'");
  return act;
}

// C = act((accumulate ? C : 0) + op(A) op(B) + bias), op = transpose when trans*, written into C
// (C-contiguous, of A's dtype). A transposed operand is read in place through swapped strides.
template <class T>
void gemm_test(const In<T>& A, const In<T>& B, bool trans_a, bool trans_b, const py::object& bias,
               const std::string& act, double alpha, bool accumulate,
               Out<T> C) {
  require(A.ndim() == 2 && B.ndim() == 2 && C.ndim() == 2, "_gemm: A, B and C must be 2-D");
  const i64 M = trans_a ? A.shape(1) : A.shape(0), K = trans_a ? A.shape(0) : A.shape(1);
  const i64 KB = trans_b ? B.shape(1) : B.shape(0), N = trans_b ? B.shape(0) : B.shape(1);
  // A C wider than N is written in its first N columns: a row stride other than N.
  require(K == KB && C.shape(0) == M && C.shape(1) >= N && C.writeable(), "_gemm: shapes");
  In<T> b;
  if (!bias.is_none()) {
    b = bias.cast<In<T>>();
    require(b.ndim() == 1 && b.shape(0) == N, "_gemm: bias must have N entries");
  }
  const i64 rsa = trans_a ? 1 : A.shape(1), csa = trans_a ? A.shape(1) : 1;
  const i64 rsb = trans_b ? 1 : B.shape(1), csb = trans_b ? B.shape(1) : 1;
  const GemmEpilogue<T> ep{bias.is_none() ? nullptr : b.data(), {act_from_name(act), alpha}};
  const T *a = A.data(), *bm = B.data();
  T* c = C.mutable_data();
  const i64 ldc = C.shape(1);
  py::gil_scoped_release nogil;
  gemm<T>(M, N, K, a, rsa, csa, bm, rsb, csb, c, ldc, accumulate, ep);
}

template <class T>
py::array_t<T> vmath_test(const std::string& name, const In<T>& x) {
  py::array_t<T> y(x.size());
  std::copy(x.data(), x.data() + x.size(), y.mutable_data());
  if (name == "exp")
    vexp(y.mutable_data(), y.size());
  else if (name == "sigmoid")
    vsigmoid(y.mutable_data(), y.size());
  else if (name == "tanh")
    vtanh(y.mutable_data(), y.size());
  else if (name == "softplus")
    vsoftplus(y.mutable_data(), y.size());
  else
    throw std::invalid_argument("_vmath: unknown function '" + name + "'");
  return y;
}

// activation_forward (softmax included) in place: Z (2-D) becomes A, with the core's threading.
template <class T>
void activation_forward_test(const std::string& name, Out<T> Z, double alpha) {
  require(Z.ndim() == 2 && Z.writeable(), "_activation_forward: Z must be a writeable 2-D array");
  const Activation act{enum_from_name<Act>(kActivationNames, name, "activation"), alpha};
  T* z = Z.mutable_data();
  const i64 rows = Z.shape(0), cols = Z.shape(1);
  py::gil_scoped_release nogil;
  activation_forward(z, rows, cols, act);
}

// activation_backward in place: dA (dL/dA, 2-D) becomes dL/dZ, from the stored output A.
template <class T>
void activation_backward_test(const std::string& name, Out<T> dA, const Out<T>& A, double alpha) {
  require(dA.ndim() == 2 && A.ndim() == 2 && dA.shape(0) == A.shape(0) &&
              dA.shape(1) == A.shape(1) && dA.writeable(),
          "_activation_backward: dA must be a writeable 2-D array of A's shape");
  require(!overlapping(dA, A), "_activation_backward: dA and A must not share memory");
  const Activation act{enum_from_name<Act>(kActivationNames, name, "activation"), alpha};
  T* d = dA.mutable_data();
  const T* a = A.data();
  const i64 rows = A.shape(0), cols = A.shape(1);
  py::gil_scoped_release nogil;
  activation_backward(d, a, rows, cols, act);
}

// A loss over a batch: its mean over the rows, returned, and its gradient written into grad.
// target: int64 labels (rows) for sparse_categorical_crossentropy, else an array of input's shape.
template <class T>
double loss_test(const std::string& name, bool on_logits, const Out<T>& input,
                 const py::array& target, Out<T> grad) {
  const LossKind kind = enum_from_name<LossKind>(kLossNames, name, "loss");
  require(input.ndim() == 2 && input.shape(0) > 0 && input.shape(1) > 0,
          "_loss: input must be a 2-D array with rows and columns");
  require(grad.ndim() == 2 && grad.shape(0) == input.shape(0) &&
              grad.shape(1) == input.shape(1) && grad.writeable(),
          "_loss: grad must be a writeable 2-D array of input's shape");
  const i64 rows = input.shape(0), cols = input.shape(1);
  const auto [t, held] =
      checked_targets<T>(target, rows, cols, kind == LossKind::SparseCategoricalCE);
  require(!overlapping(grad, input) && !overlapping(grad, held),
          "_loss: grad must not share memory with input or target");
  std::vector<double> row_loss(static_cast<size_t>(rows));
  const T* x = input.data();
  T* g = grad.mutable_data();
  py::gil_scoped_release nogil;
  loss_rows(kind, on_logits, x, t, 0, rows, rows, cols, g, row_loss.data());
  return loss_sum(kind, row_loss.data(), rows, cols) / double(rows);
}

template <class T>
double sum_squares_test(const In<T>& x) {
  return sum_squares(x.data(), x.size());
}

// Dropout of x with `rate` and `key`: forward into a new array, or, in_place, backward on a copy
// of x (the gradient's pass, which overwrites its input).
template <class T>
Out<T> dropout_test(const In<T>& x, double rate, u64 key, bool in_place) {
  require(rate >= 0.0 && rate < 1.0, "_dropout: rate must be in [0, 1)");
  Out<T> y(x.request().shape);
  if (in_place) {
    std::copy(x.data(), x.data() + x.size(), y.mutable_data());
    dropout_backward(y.mutable_data(), y.size(), rate, key);
  } else {
    dropout_forward(y.mutable_data(), x.data(), x.size(), rate, key);
  }
  return y;
}

// The thread counts ThreadChoice gives a run of steps of one row, where step i earns a team of
// team[i] and would take one_thread[i] seconds on one thread and on_team[i] on the team, plus
// switch_cost on a step whose count differs from the step before's; training resumes after a
// pause before each step i where paused[i] is true.
Out<std::int32_t> thread_choice_trace(const In<double>& one_thread, const In<double>& on_team,
                                      const In<std::int32_t>& team, double switch_cost,
                                      const In<bool>& paused) {
  const py::ssize_t n = one_thread.size();
  require(one_thread.ndim() == 1 && on_team.ndim() == 1 && team.ndim() == 1 &&
              paused.ndim() == 1 && on_team.size() == n && team.size() == n && paused.size() == n,
          "_thread_choice_trace: one_thread, on_team, team and paused must be 1-D arrays of one "
          "length");
  ThreadChoice choice;
  Out<std::int32_t> threads(n);
  int before = 0;
  for (py::ssize_t i = 0; i < n; ++i) {
    require(team.data()[i] >= 1, "_thread_choice_trace: team must be >= 1; got " +
                                     std::to_string(team.data()[i]));
    if (paused.data()[i]) choice.resume();
    const int count = choice.next(team.data()[i]);
    const double cost = count == 1 ? one_thread.data()[i] : on_team.data()[i];
    if (choice.timing_wanted())
      choice.record(cost + (i > 0 && count != before ? switch_cost : 0.0), 1);
    threads.mutable_data()[i] = before = count;
  }
  return threads;
}

py::dict thread_choice_constants() {
  py::dict c;
  c["settle_steps"] = ThreadChoice::kSettleSteps;
  c["min_timed_steps"] = ThreadChoice::kMinTimedSteps;
  c["block_seconds"] = ThreadChoice::kBlockSeconds;
  c["clear_loss"] = ThreadChoice::kClearLoss;
  c["first_period"] = ThreadChoice::kFirstPeriod;
  c["longest_period"] = ThreadChoice::kLongestPeriod;
  return c;
}

}  // namespace

void bind_testing(py::module_& m) {
  m.def("_thread_choice_trace", &thread_choice_trace, py::arg("one_thread"), py::arg("on_team"),
        py::arg("team"), py::arg("switch_cost"), py::arg("paused"));
  m.def("_thread_choice_constants", &thread_choice_constants);
  m.def("_gemm", &gemm_test<float>, py::arg("A"), py::arg("B"), py::arg("trans_a"),
        py::arg("trans_b"), py::arg("bias"), py::arg("activation"), py::arg("alpha"),
        py::arg("accumulate"), py::arg("C").noconvert(), "internal: GEMM for the tests");
  m.def("_gemm", &gemm_test<double>, py::arg("A"), py::arg("B"), py::arg("trans_a"),
        py::arg("trans_b"), py::arg("bias"), py::arg("activation"), py::arg("alpha"),
        py::arg("accumulate"), py::arg("C").noconvert());
  m.def("_gemm_isa", &gemm_isa, "internal: the GEMM micro-kernels' instruction set");
  m.def("_vmath", &vmath_test<float>, py::arg("name"), py::arg("x").noconvert(),
        "internal: exp/sigmoid/tanh of the dispatched vector math on a copy of x");
  m.def("_vmath", &vmath_test<double>, py::arg("name"), py::arg("x").noconvert());
  m.def("_activation_forward", &activation_forward_test<float>, py::arg("name"),
        py::arg("Z").noconvert(), py::arg("alpha") = 0.01,
        "internal: an activation's forward pass, in place on Z");
  m.def("_activation_forward", &activation_forward_test<double>, py::arg("name"),
        py::arg("Z").noconvert(), py::arg("alpha") = 0.01);
  m.def("_activation_backward", &activation_backward_test<float>, py::arg("name"),
        py::arg("dA").noconvert(), py::arg("A").noconvert(), py::arg("alpha") = 0.01,
        "internal: an activation's backward pass, in place on dA");
  m.def("_activation_backward", &activation_backward_test<double>, py::arg("name"),
        py::arg("dA").noconvert(), py::arg("A").noconvert(), py::arg("alpha") = 0.01);
  m.def("_loss", &loss_test<float>, py::arg("name"), py::arg("on_logits"),
        py::arg("input").noconvert(), py::arg("target"), py::arg("grad").noconvert(),
        "internal: a loss's batch mean, its gradient written into grad");
  m.def("_loss", &loss_test<double>, py::arg("name"), py::arg("on_logits"),
        py::arg("input").noconvert(), py::arg("target"), py::arg("grad").noconvert());
  m.def("_sum_squares", &sum_squares_test<float>, py::arg("x").noconvert(),
        "internal: the dispatched sum of squares of x, in double");
  m.def("_sum_squares", &sum_squares_test<double>, py::arg("x").noconvert());
  m.def("_dropout", &dropout_test<float>, py::arg("x").noconvert(), py::arg("rate"),
        py::arg("key"), py::arg("in_place"), "internal: the dispatched dropout of x");
  m.def("_dropout", &dropout_test<double>, py::arg("x").noconvert(), py::arg("rate"),
        py::arg("key"), py::arg("in_place"));
}
