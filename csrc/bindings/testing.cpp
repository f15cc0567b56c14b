// Internal bindings for the tests only (names start with an underscore; not part of the API):
// the GEMM with every stride layout and epilogue, the dispatched ISA, the vector math, the
// activations' forward pass, and the sum of squares behind gradient norms and the L2 penalty.
#include "bindings/testing.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/activations.h"
#include "core/gemm/gemm.h"
#include "core/optim.h"
#include "core/vmath.h"

namespace py = pybind11;
using namespace fastmlp;

namespace {

template <class T>
using In = py::array_t<T, py::array::c_style | py::array::forcecast>;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

Act act_from_name(const std::string& name) {
  for (size_t i = 0; i < kActivationNames.size(); ++i)
    if (kActivationNames[i] == name && Act(i) != Act::Softmax) return Act(i);
  throw std::invalid_argument("_gemm: no elementwise activation '" + name + "'");
}

// C = act((accumulate ? C : 0) + op(A) op(B) + bias), op = transpose when trans*, written into C
// (C-contiguous, of A's dtype). A transposed operand is read in place through swapped strides.
template <class T>
void gemm_test(const In<T>& A, const In<T>& B, bool trans_a, bool trans_b, const py::object& bias,
               const std::string& act, double alpha, bool accumulate,
               py::array_t<T, py::array::c_style> C) {
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
  else
    throw std::invalid_argument("_vmath: unknown function '" + name + "'");
  return y;
}

// activation_forward (softmax included) over a copy of the 2-D Z, with the core's threading.
template <class T>
py::array_t<T> activation_test(const std::string& name, const In<T>& Z, double alpha) {
  require(Z.ndim() == 2, "_activation: Z must be 2-D");
  const auto it = std::find(kActivationNames.begin(), kActivationNames.end(), name);
  require(it != kActivationNames.end(), "_activation: unknown activation '" + name + "'");
  const i64 rows = Z.shape(0), cols = Z.shape(1);
  py::array_t<T> Y({rows, cols});
  T* y = Y.mutable_data();
  std::copy(Z.data(), Z.data() + Z.size(), y);
  const Activation act{Act(it - kActivationNames.begin()), alpha};
  py::gil_scoped_release nogil;
  activation_forward(y, rows, cols, act);
  return Y;
}

template <class T>
double sum_squares_test(const In<T>& x) {
  return sum_squares(x.data(), x.size());
}

}  // namespace

void bind_testing(py::module_& m) {
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
  m.def("_activation", &activation_test<float>, py::arg("name"), py::arg("Z").noconvert(),
        py::arg("alpha") = 0.01, "internal: an activation's forward pass on a copy of Z");
  m.def("_activation", &activation_test<double>, py::arg("name"), py::arg("Z").noconvert(),
        py::arg("alpha") = 0.01);
  m.def("_sum_squares", &sum_squares_test<float>, py::arg("x").noconvert(),
        "internal: the dispatched sum of squares of x, in double");
  m.def("_sum_squares", &sum_squares_test<double>, py::arg("x").noconvert());
}
