// pybind11 bindings: convert, check shapes, release the GIL. No math here.
//
// Every shape and label is checked before the core sees a pointer, so no call from Python can
// make the core read or write out of bounds; friendlier messages for the same mistakes come from
// the Python layer before these checks are reached.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings/testing.h"
#include "core/activations.h"
#include "core/init.h"
#include "core/losses.h"
#include "core/network.h"
#include "core/optim.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/train.h"

namespace py = pybind11;
using namespace fastmlp;

namespace {

template <class Table>
py::tuple names_tuple(const Table& names) {
  py::tuple t(names.size());
  for (size_t i = 0; i < names.size(); ++i) t[i] = py::str(names[i].data(), names[i].size());
  return t;
}

template <class Enum, class Table>
Enum enum_from_name(const Table& names, const std::string& name, const char* what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return Enum(i);
  std::ostringstream msg;
  msg << "unknown " << what << " '" << name << "'; expected one of:";
  for (const auto& n : names) msg << " '" << n << "'";
  throw std::invalid_argument(msg.str());
}

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

void check_rows(const py::array& a, const char* name, i64 cols) {
  if (a.ndim() != 2 || a.shape(1) != cols || a.shape(0) < 1) {
    std::ostringstream msg;
    msg << name << " must be a non-empty 2-D array with " << cols << " columns; got shape (";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) msg << (d ? ", " : "") << a.shape(d);
    msg << ")";
    throw std::invalid_argument(msg.str());
  }
}

// A model's network plus the lock that keeps two Python threads from using its buffers at once.
template <class T>
class PyNetwork {
 public:
  using LayerTuple = std::tuple<i64, std::string, double, bool, double, double>;

  PyNetwork(i64 input_dim, const std::vector<LayerTuple>& layers)
      : net_(input_dim, to_specs(layers)) {}

  py::array_t<T> params(py::object self) { return view(net_.params(), self); }
  py::array_t<T> grads(py::object self) { return view(net_.grads(), self); }

  // (offset, shape) of every weight array, in get_weights order.
  py::list layout() const {
    py::list out;
    for (const auto& d : net_.layers()) {
      out.append(py::make_tuple(d.w_offset, py::make_tuple(d.in, d.out)));
      if (d.use_bias) out.append(py::make_tuple(d.b_offset, py::make_tuple(d.out)));
    }
    return out;
  }

  void set_loss(const std::string& name, bool from_logits) {
    net_.set_loss({enum_from_name<LossKind>(kLossNames, name, "loss"), from_logits});
  }

  void set_optimizer(const std::string& name, double lr, double momentum, bool nesterov,
                     double weight_decay, double beta1, double beta2, double rho, double eps) {
    OptimizerConfig c;
    c.kind = enum_from_name<OptKind>(kOptimizerNames, name, "optimizer");
    c.lr = lr;
    c.momentum = momentum;
    c.nesterov = nesterov;
    c.weight_decay = weight_decay;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.rho = rho;
    c.eps = eps;
    std::lock_guard<std::mutex> lock(mutex_);
    net_.set_optimizer(c);
  }

  void set_clip(double norm, double value) { net_.set_clip({norm, value}); }
  double learning_rate() const { return net_.optimizer().lr; }
  void set_learning_rate(double lr) { net_.set_learning_rate(lr); }
  i64 iterations() const { return net_.iterations; }
  void set_iterations(i64 t) { net_.iterations = t; }

  py::array_t<T> predict(const CArray<T>& X) {
    check_rows(X, "X", net_.input_dim());
    const i64 n = X.shape(0);
    py::array_t<T> out({n, net_.output_dim()});
    const T* x = X.data();
    T* o = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mutex_);
      net_.predict(x, n, o);
    }
    return out;
  }

  double evaluate(const CArray<T>& X, const py::array& y) {
    check_rows(X, "X", net_.input_dim());
    const auto [t, held] = targets(y, X.shape(0));
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mutex_);
    return net_.evaluate(X.data(), t, X.shape(0));
  }

  // Loss (mean + penalty) of the batch, with its gradients left in grads().
  double compute_gradients(const CArray<T>& X, const py::array& y) {
    check_rows(X, "X", net_.input_dim());
    const i64 rows = X.shape(0);
    const auto [t, held] = targets(y, rows);
    auto lock = training_lock();
    py::gil_scoped_release nogil;
    net_.forward(X.data(), rows);
    return net_.backward(X.data(), t, rows) / double(rows) + net_.penalty();
  }

  double train_on_batch(const CArray<T>& X, const py::array& y) {
    check_rows(X, "X", net_.input_dim());
    const auto [t, held] = targets(y, X.shape(0));
    auto lock = training_lock();
    py::gil_scoped_release nogil;
    return net_.train_step(X.data(), t, X.shape(0));
  }

  // Runs `epochs` epochs; returns each finished epoch's mean loss. Ctrl-C raises
  // KeyboardInterrupt with the weights of the last finished step.
  py::array_t<double> train_epochs(const CArray<T>& X, const py::array& y, i64 epochs,
                                   i64 batch_size, bool shuffle, u64 seed, i64 first_epoch) {
    check_rows(X, "X", net_.input_dim());
    if (epochs < 0) throw std::invalid_argument("epochs must be >= 0");
    if (batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
    const i64 n = X.shape(0);
    const auto [t, held] = targets(y, n);
    TrainOptions opt;
    opt.epochs = epochs;
    opt.batch_size = batch_size;
    opt.shuffle = shuffle;
    opt.seed = seed;
    opt.first_epoch = first_epoch;
    std::vector<double> losses(size_t(epochs), 0.0);
    TrainResult result;
    {
      auto lock = training_lock();
      py::gil_scoped_release nogil;
      result = fastmlp::train_epochs(net_, X.data(), t, n, opt, losses.data(), [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
      });
    }
    if (result.stopped) throw py::error_already_set();
    return py::array_t<double>(result.epochs_done, losses.data());
  }

 private:
  static std::vector<DenseSpec> to_specs(const std::vector<LayerTuple>& layers) {
    std::vector<DenseSpec> specs;
    for (const auto& [units, act, alpha, use_bias, l1, l2] : layers) {
      DenseSpec s;
      s.units = units;
      s.act = {enum_from_name<Act>(kActivationNames, act, "activation"), alpha};
      s.use_bias = use_bias;
      s.l1 = l1;
      s.l2 = l2;
      specs.push_back(s);
    }
    return specs;
  }

  static py::array_t<T> view(T* data, py::object owner_handle) {
    // The arena never reallocates after construction and `owner_handle` keeps it alive.
    auto& self = owner_handle.cast<PyNetwork&>();
    return py::array_t<T>({self.net_.num_params()}, {sizeof(T)}, data, owner_handle);
  }

  std::unique_lock<std::mutex> training_lock() {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock)
      throw std::runtime_error(
          "this model is already being trained or used by another thread; "
          "train one model from one thread at a time");
    return lock;
  }

  // Targets of n rows, checked: dense (n x outputs) in T, or int64 class labels in range. The
  // returned array owns the (possibly converted) data and must outlive the call that reads it.
  std::pair<Targets<T>, py::array> targets(const py::array& y, i64 n) {
    const i64 out = net_.output_dim();
    if (net_.loss().kind == LossKind::SparseCategoricalCE) {
      auto labels = py::array_t<i64, py::array::c_style>::ensure(y);
      if (!labels || labels.ndim() != 1 || labels.shape(0) != n)
        throw std::invalid_argument("y must be a 1-D int64 array of " + std::to_string(n) +
                                    " class labels");
      const i64* p = labels.data();
      for (i64 i = 0; i < n; ++i)
        if (p[i] < 0 || p[i] >= out)
          throw std::invalid_argument("label " + std::to_string(p[i]) + " at index " +
                                      std::to_string(i) + " is outside [0, " +
                                      std::to_string(out) + ")");
      return {{nullptr, p}, labels};
    }
    auto dense = py::array_t<T, py::array::c_style>::ensure(y);
    if (!dense || dense.ndim() != 2 || dense.shape(0) != n || dense.shape(1) != out)
      throw std::invalid_argument("y must be a 2-D array of shape (" + std::to_string(n) + ", " +
                                  std::to_string(out) + ") in the model's dtype");
    return {{dense.data(), nullptr}, dense};
  }

  Network<T> net_;
  std::mutex mutex_;
};

template <class T>
void bind_network(py::module_& m, const char* name) {
  using N = PyNetwork<T>;
  py::class_<N>(m, name)
      .def(py::init<i64, const std::vector<typename N::LayerTuple>&>(), py::arg("input_dim"),
           py::arg("layers"))
      .def_property_readonly("params", [](py::object self) { return self.cast<N&>().params(self); })
      .def_property_readonly("grads", [](py::object self) { return self.cast<N&>().grads(self); })
      .def("layout", &N::layout)
      .def("set_loss", &N::set_loss, py::arg("name"), py::arg("from_logits"))
      .def("set_optimizer", &N::set_optimizer, py::arg("name"), py::arg("lr"), py::arg("momentum"),
           py::arg("nesterov"), py::arg("weight_decay"), py::arg("beta1"), py::arg("beta2"),
           py::arg("rho"), py::arg("eps"))
      .def("set_clip", &N::set_clip, py::arg("norm"), py::arg("value"))
      .def_property("learning_rate", &N::learning_rate, &N::set_learning_rate)
      .def_property("iterations", &N::iterations, &N::set_iterations)
      .def("predict", &N::predict, py::arg("X"))
      .def("evaluate", &N::evaluate, py::arg("X"), py::arg("y"))
      .def("compute_gradients", &N::compute_gradients, py::arg("X"), py::arg("y"))
      .def("train_on_batch", &N::train_on_batch, py::arg("X"), py::arg("y"))
      .def("train_epochs", &N::train_epochs, py::arg("X"), py::arg("y"), py::arg("epochs"),
           py::arg("batch_size"), py::arg("shuffle"), py::arg("seed"), py::arg("first_epoch"));
}

// Fills of a writable contiguous array of the model's dtype (arena views), keyed by (seed, stream).
template <class T>
void bind_fills(py::module_& m) {
  using Out = py::array_t<T, py::array::c_style>;
  auto checked = [](Out& a) {
    if (!a.writeable()) throw std::invalid_argument("out must be writeable");
    return a.mutable_data();
  };
  m.def("fill_uniform", [checked](Out out, double low, double high, u64 seed, u64 stream) {
    T* p = checked(out);
    fill_uniform(p, i64(out.size()), low, high, stream_key(seed, 0, stream));
  }, py::arg("out").noconvert(), py::arg("low"), py::arg("high"), py::arg("seed"), py::arg("stream"));
  m.def("fill_normal", [checked](Out out, double mean, double std, u64 seed, u64 stream) {
    T* p = checked(out);
    fill_normal(p, i64(out.size()), mean, std, stream_key(seed, 0, stream));
  }, py::arg("out").noconvert(), py::arg("mean"), py::arg("std"), py::arg("seed"), py::arg("stream"));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastmlp's compiled core";
  bind_network<float>(m, "Network32");
  bind_network<double>(m, "Network64");
  bind_fills<float>(m);
  bind_fills<double>(m);

  m.attr("ACTIVATIONS") = names_tuple(kActivationNames);
  m.attr("LOSSES") = names_tuple(kLossNames);
  m.attr("OPTIMIZERS") = names_tuple(kOptimizerNames);
  m.attr("__version__") = FASTMLP_VERSION;
  bind_testing(m);

  m.def("get_num_threads", &num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw std::invalid_argument("n must be a thread count >= 1; got " + std::to_string(n));
    set_num_threads(n);
  }, py::arg("n"));
  m.def("build_info", [] {
    py::dict info;
    info["version"] = FASTMLP_VERSION;
#if defined(__clang__)
    info["compiler"] = "clang " __clang_version__;
#elif defined(__GNUC__)
    info["compiler"] = "gcc " __VERSION__;
#else
    info["compiler"] = "unknown";
#endif
    info["openmp"] = openmp_version();
    info["simd"] = simd_level();
    info["threads"] = num_threads();
    return info;
  });
}
