// pybind11 bindings: convert, check shapes, release the GIL. No math here.
//
// Every shape and label is checked before the core sees a pointer, so no call from Python can
// make the core read or write out of bounds; friendlier messages for the same mistakes come from
// the Python layer before these checks are reached.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings/checks.h"
#include "bindings/round_trip.h"
#include "bindings/testing.h"
#include "core/activations.h"
#include "core/finite.h"
#include "core/init.h"
#include "core/losses.h"
#include "core/metrics.h"
#include "core/network.h"
#include "core/optim.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/train.h"

namespace py = pybind11;
using namespace fastmlp;
using fastmlp::bindings::enum_from_name;

namespace {

template <class Table>
py::tuple names_tuple(const Table& names) {
  py::tuple t(names.size());
  for (size_t i = 0; i < names.size(); ++i) t[i] = py::str(names[i].data(), names[i].size());
  return t;
}

// Raised as fastmlp.DivergenceError (a FloatingPointError).
struct Diverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

OptimizerConfig optimizer_config(const std::string& name, double lr, double momentum, bool nesterov,
                                 double weight_decay, double beta1, double beta2, double rho,
                                 double eps, bool eps_hat) {
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
  c.eps_hat = eps_hat;
  return c;
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
  // (kind, units, activation, alpha, use_bias, l1, l2, rate, momentum, eps)
  using LayerTuple = std::tuple<std::string, i64, std::string, double, bool, double, double, double,
                                double, double>;
  using MetricTuple = std::tuple<std::string, i64>;

  PyNetwork(i64 input_dim, const std::vector<LayerTuple>& layers, u64 seed)
      : net_(input_dim, to_specs(layers), seed) {}

  py::array_t<T> params(py::object self) { return view(net_.params(), net_.num_params(), self); }
  py::array_t<T> grads(py::object self) { return view(net_.grads(), net_.num_params(), self); }
  py::array_t<T> state(py::object self) { return view(net_.state(), net_.num_state(), self); }

  // (arena, offset, shape) of every weight array in get_weights order; arena "params" holds the
  // trainable ones (grads mirrors it), "state" the others.
  py::list layout() const {
    py::list out;
    auto add = [&out](const char* arena, i64 offset, py::tuple shape) {
      out.append(py::make_tuple(arena, offset, shape));
    };
    for (const auto& d : net_.layers()) {
      switch (d.spec.kind) {
        case LayerKind::Dense:
          add("params", d.param_offset, py::make_tuple(d.in, d.out));
          if (d.spec.use_bias) add("params", d.param_offset + d.in * d.out, py::make_tuple(d.out));
          break;
        case LayerKind::BatchNorm:
        case LayerKind::LayerNorm:
          add("params", d.param_offset, py::make_tuple(d.in));
          add("params", d.param_offset + d.in, py::make_tuple(d.in));
          if (d.spec.kind == LayerKind::BatchNorm) {
            add("state", d.state_offset, py::make_tuple(d.in));
            add("state", d.state_offset + d.in, py::make_tuple(d.in));
          }
          break;
        default:
          break;
      }
    }
    return out;
  }

  void set_loss(const std::string& name, bool from_logits) {
    net_.set_loss({enum_from_name<LossKind>(kLossNames, name, "loss"), from_logits});
  }

  void set_optimizer(const std::string& name, double lr, double momentum, bool nesterov,
                     double weight_decay, double beta1, double beta2, double rho, double eps,
                     bool eps_hat) {
    const OptimizerConfig c = optimizer_config(name, lr, momentum, nesterov, weight_decay, beta1,
                                               beta2, rho, eps, eps_hat);
    std::lock_guard<std::mutex> lock(mutex_);
    net_.set_optimizer(c);
  }

  void set_clip(double norm, double value) { net_.set_clip({norm, value}); }

  // Metrics reported by evaluate and train_epochs; targets: "labels", "onehot" or "binary".
  void set_metrics(const std::vector<MetricTuple>& metrics, const std::string& targets,
                   double threshold) {
    metric_specs_.clear();
    for (const auto& [name, k] : metrics)
      metric_specs_.push_back({enum_from_name<MetricKind>(kMetricNames, name, "metric"), k});
    target_kind_ = targets == "labels" ? TargetKind::Labels
                   : targets == "onehot" ? TargetKind::OneHot
                                         : TargetKind::Binary;
    threshold_ = threshold;
  }

  py::array_t<T> optimizer_state() const {
    const auto& state = net_.optimizer_state();
    return py::array_t<T>(py::ssize_t(state.size()), state.data());
  }

  void set_optimizer_state(const CArray<T>& state) {
    auto& dst = net_.optimizer_state();
    if (state.ndim() != 1 || size_t(state.shape(0)) != dst.size())
      throw std::invalid_argument("optimizer state must be a 1-D array of " +
                                  std::to_string(dst.size()) + " values for this optimizer");
    std::copy(state.data(), state.data() + dst.size(), dst.begin());
  }
  double learning_rate() const { return net_.optimizer().lr; }
  void set_learning_rate(double lr) { net_.set_learning_rate(lr); }
  i64 iterations() const { return net_.iterations; }
  void set_iterations(i64 t) { net_.iterations = t; }
  std::pair<i64, i64> thread_choice_steps() const {
    return {net_.thread_choice().one_thread_steps(), net_.thread_choice().team_steps()};
  }

  py::array_t<T> predict(const CArray<T>& X, bool training) {
    check_rows(X, "X", net_.input_dim());
    const i64 n = X.shape(0);
    py::array_t<T> out({n, net_.output_dim()});
    const T* x = X.data();
    T* o = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mutex_);
      net_.predict(x, n, o, training);
    }
    return out;
  }

  // (mean loss + penalty, [metric values]) over X in inference mode.
  py::tuple evaluate(const CArray<T>& X, const py::array& y, const py::object& sample_weight) {
    check_rows(X, "X", net_.input_dim());
    const auto [t, held] = targets(y, X.shape(0));
    const auto [w, held_w] = weights(sample_weight, X.shape(0));
    Targets<T> tw = t;
    tw.weights = w;
    MetricAccumulator<T> metrics = make_metrics();
    double loss;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mutex_);
      loss = net_.evaluate(X.data(), tw, X.shape(0), &metrics);
    }
    return py::make_tuple(loss, metrics.results());
  }

  // For the tests: how many threads a training step of `rows` rows takes (1: no team region).
  int step_threads(i64 rows) const { return net_.step_threads(rows); }
  // For the tests: in how many pieces of the batch a step of `rows` rows sums its gradients.
  i64 grad_pieces(i64 rows) const { return net_.grad_pieces(rows); }

  // Loss (mean + penalty) of the batch, with its gradients left in grads().
  double compute_gradients(const CArray<T>& X, const py::array& y) {
    check_rows(X, "X", net_.input_dim());
    const i64 rows = X.shape(0);
    const auto [t, held] = targets(y, rows);
    auto lock = training_lock();
    py::gil_scoped_release nogil;
    net_.forward(X.data(), rows, true);
    return net_.backward(X.data(), t, rows) / double(rows) + net_.penalty();
  }

  double train_on_batch(const CArray<T>& X, const py::array& y) {
    check_rows(X, "X", net_.input_dim());
    const auto [t, held] = targets(y, X.shape(0));
    auto lock = training_lock();
    double loss;
    bool ok;
    {
      py::gil_scoped_release nogil;
      ok = net_.train_step(X.data(), t, X.shape(0), loss);
    }
    if (!ok)
      throw Diverged("training diverged: the loss or a gradient of this batch is not finite (loss " +
                     std::to_string(loss) + "); the weights were left unchanged. Lower the "
                     "learning rate (now " + std::to_string(net_.optimizer().lr) +
                     ") or clip gradients with compile(clip_norm=...)");
    return loss;
  }

  // Runs `epochs` epochs. `progress(epoch, step, steps, mean_loss, last_loss)`, when given, is
  // called about every poll_seconds (after every step with every_step) and stops training by
  // returning True. Ctrl-C raises KeyboardInterrupt with the weights of the last finished step;
  // an exception raised by `progress` propagates the same way.
  py::dict train_epochs(const CArray<T>& X, const py::array& y, const py::object& sample_weight,
                        i64 epochs, i64 batch_size, bool shuffle, u64 seed, i64 first_epoch,
                        const py::object& progress, bool every_step, double poll_seconds) {
    check_rows(X, "X", net_.input_dim());
    if (epochs < 0) throw std::invalid_argument("epochs must be >= 0");
    if (batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
    const i64 n = X.shape(0);
    const auto [t, held] = targets(y, n);
    const auto [w, held_w] = weights(sample_weight, n);
    Targets<T> tw = t;
    tw.weights = w;
    TrainOptions opt;
    opt.epochs = epochs;
    opt.batch_size = batch_size;
    opt.shuffle = shuffle;
    opt.seed = seed;
    opt.first_epoch = first_epoch;
    opt.every_step = every_step;
    opt.poll_seconds = poll_seconds;
    MetricAccumulator<T> metrics = make_metrics();
    std::optional<py::error_already_set> error;  // raised while the GIL was held in the hook
    auto hook = [&](const Progress& p) {
      py::gil_scoped_acquire gil;
      try {
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        return !progress.is_none() &&
               py::cast<bool>(progress(p.epoch, p.step, p.steps, p.loss, p.last_loss));
      } catch (py::error_already_set& e) {
        error.emplace(std::move(e));
        return true;
      }
    };
    TrainResult result;
    {
      auto lock = training_lock();
      py::gil_scoped_release nogil;
      result = fastmlp::train_epochs(net_, X.data(), tw, n, opt, metrics, hook);
    }
    if (error) throw std::move(*error);
    const i64 done = i64(result.epochs.size());
    const i64 n_metrics = i64(metric_specs_.size()), n_norms = i64(net_.grad_norms().size());
    py::array_t<double> losses(done), metric_values({done, n_metrics}), norms({done, n_norms});
    for (i64 e = 0; e < done; ++e) {
      const EpochRecord& r = result.epochs[size_t(e)];
      losses.mutable_at(e) = r.loss;
      for (i64 k = 0; k < n_metrics; ++k) metric_values.mutable_at(e, k) = r.metrics[size_t(k)];
      for (i64 k = 0; k < n_norms; ++k) norms.mutable_at(e, k) = r.grad_norms[size_t(k)];
    }
    py::dict out;
    out["loss"] = losses;
    out["metrics"] = metric_values;
    out["grad_norms"] = norms;
    out["stopped"] = result.stopped;
    out["diverged"] = result.diverged ? py::object(py::make_tuple(result.diverged_epoch,
                                                                 result.diverged_step,
                                                                 result.diverged_loss))
                                      : py::object(py::none());
    return out;
  }

 private:
  static std::vector<LayerSpec> to_specs(const std::vector<LayerTuple>& layers) {
    std::vector<LayerSpec> specs;
    for (const auto& [kind, units, act, alpha, use_bias, l1, l2, rate, momentum, eps] : layers) {
      LayerSpec s;
      s.kind = enum_from_name<LayerKind>(kLayerNames, kind, "layer");
      s.units = units;
      s.act = {enum_from_name<Act>(kActivationNames, act, "activation"), alpha};
      s.use_bias = use_bias;
      s.l1 = l1;
      s.l2 = l2;
      s.rate = rate;
      s.momentum = momentum;
      s.eps = eps;
      specs.push_back(s);
    }
    return specs;
  }

  MetricAccumulator<T> make_metrics() const {
    return MetricAccumulator<T>(metric_specs_, target_kind_, threshold_, net_.output_dim());
  }

  // Optional per-row sample weights, finite and >= 0.
  std::pair<const T*, py::object> weights(const py::object& w, i64 n) {
    if (w.is_none()) return {nullptr, py::none()};
    auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(w);
    if (!arr || arr.ndim() != 1 || arr.shape(0) != n)
      throw std::invalid_argument("sample_weight must be a 1-D array of " + std::to_string(n) +
                                  " weights");
    return {arr.data(), arr};
  }

  static py::array_t<T> view(T* data, i64 size, py::object owner_handle) {
    // The arenas never reallocate after construction and `owner_handle` keeps them alive.
    return py::array_t<T>({size}, {i64(sizeof(T))}, data, owner_handle);
  }

  std::unique_lock<std::mutex> training_lock() {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock)
      throw std::runtime_error(
          "this model is already being trained or used by another thread; "
          "train one model from one thread at a time");
    return lock;
  }

  std::pair<Targets<T>, py::array> targets(const py::array& y, i64 n) {
    return bindings::checked_targets<T>(y, n, net_.output_dim(),
                                        net_.loss().kind == LossKind::SparseCategoricalCE);
  }

  Network<T> net_;
  std::mutex mutex_;
  std::vector<MetricSpec> metric_specs_;
  TargetKind target_kind_ = TargetKind::Binary;
  double threshold_ = 0.5;
};

template <class T>
void bind_network(py::module_& m, const char* name) {
  using N = PyNetwork<T>;
  py::class_<N>(m, name)
      .def(py::init<i64, const std::vector<typename N::LayerTuple>&, u64>(), py::arg("input_dim"),
           py::arg("layers"), py::arg("seed"))
      .def_property_readonly("params", [](py::object self) { return self.cast<N&>().params(self); })
      .def_property_readonly("grads", [](py::object self) { return self.cast<N&>().grads(self); })
      .def_property_readonly("state", [](py::object self) { return self.cast<N&>().state(self); })
      .def("layout", &N::layout)
      .def("set_loss", &N::set_loss, py::arg("name"), py::arg("from_logits"))
      .def("set_optimizer", &N::set_optimizer, py::arg("name"), py::arg("lr"), py::arg("momentum"),
           py::arg("nesterov"), py::arg("weight_decay"), py::arg("beta1"), py::arg("beta2"),
           py::arg("rho"), py::arg("eps"), py::arg("eps_hat"))
      .def("set_clip", &N::set_clip, py::arg("norm"), py::arg("value"))
      .def("set_metrics", &N::set_metrics, py::arg("metrics"), py::arg("targets"),
           py::arg("threshold"))
      .def_property("optimizer_state", &N::optimizer_state, &N::set_optimizer_state)
      .def_property("learning_rate", &N::learning_rate, &N::set_learning_rate)
      .def_property("iterations", &N::iterations, &N::set_iterations)
      .def_property_readonly("_thread_choice_steps", &N::thread_choice_steps,
                             "internal: training steps that earned a team, run (on one thread, "
                             "on the team)")
      .def("predict", &N::predict, py::arg("X"), py::arg("training") = false)
      .def("evaluate", &N::evaluate, py::arg("X"), py::arg("y"), py::arg("sample_weight") = py::none())
      .def("compute_gradients", &N::compute_gradients, py::arg("X"), py::arg("y"))
      .def("_step_threads", &N::step_threads, py::arg("rows"))
      .def("_grad_pieces", &N::grad_pieces, py::arg("rows"))
      .def("train_on_batch", &N::train_on_batch, py::arg("X"), py::arg("y"))
      .def("train_epochs", &N::train_epochs, py::arg("X"), py::arg("y"), py::arg("sample_weight"),
           py::arg("epochs"), py::arg("batch_size"), py::arg("shuffle"), py::arg("seed"),
           py::arg("first_epoch"), py::arg("progress") = py::none(), py::arg("every_step") = false,
           py::arg("poll_seconds") = 0.05);
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

// The input check of fastmlp._validation, for a C-contiguous, aligned array of either dtype
// (others take NumPy's path there).
template <class T>
void bind_all_finite(py::module_& m) {
  m.def("all_finite", [](const py::array_t<T, py::array::c_style>& x) {
    const T* values = x.data();
    const i64 n = i64(x.size());
    if (reinterpret_cast<std::uintptr_t>(values) % alignof(T) != 0)
      throw std::invalid_argument("x must be aligned to its dtype; got an unaligned array");
    py::gil_scoped_release nogil;
    return all_finite(values, n);
  }, py::arg("x").noconvert(), "True when no value of x is an infinity or a NaN.");
}

// The fused update on a caller's float64 vector, for small problems driven from Python
// (fastmlp.optimizers.minimize): params and state are updated in place.
void bind_optimizer_step(py::module_& m) {
  using Vec = py::array_t<double, py::array::c_style>;
  m.def("optimizer_step", [](Vec params, Vec grads, Vec state, i64 t, const std::string& name,
                             double lr, double momentum, bool nesterov, double weight_decay,
                             double beta1, double beta2, double rho, double eps, bool eps_hat) {
    const OptimizerConfig c = optimizer_config(name, lr, momentum, nesterov, weight_decay, beta1,
                                               beta2, rho, eps, eps_hat);
    const i64 n = i64(params.size());
    const i64 n_state = optimizer_state_slots(c) * n;
    if (params.ndim() != 1 || grads.ndim() != 1 || state.ndim() != 1)
      throw std::invalid_argument("params, grads and state must be 1-D arrays");
    if (i64(grads.size()) != n || i64(state.size()) != n_state)
      throw std::invalid_argument("grads must have " + std::to_string(n) + " values and state " +
                                  std::to_string(n_state) + " for this optimizer; got " +
                                  std::to_string(grads.size()) + " and " +
                                  std::to_string(state.size()));
    if (!params.writeable() || !state.writeable())
      throw std::invalid_argument("params and state must be writeable");
    if (t < 1) throw std::invalid_argument("t must be the 1-based step number; got " + std::to_string(t));
    optimizer_step<double>(c, t, params.mutable_data(), grads.data(), state.mutable_data(), n);
  }, py::arg("params").noconvert(), py::arg("grads"), py::arg("state").noconvert(), py::arg("t"),
     py::arg("name"), py::arg("lr"), py::arg("momentum"), py::arg("nesterov"),
     py::arg("weight_decay"), py::arg("beta1"), py::arg("beta2"), py::arg("rho"), py::arg("eps"),
     py::arg("eps_hat"));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastmlp's compiled core";
  bind_network<float>(m, "Network32");
  bind_network<double>(m, "Network64");
  bind_fills<float>(m);
  bind_fills<double>(m);
  bind_optimizer_step(m);
  bind_all_finite<float>(m);
  bind_all_finite<double>(m);

  py::register_exception<Diverged>(m, "DivergenceError", PyExc_FloatingPointError);
  m.attr("ACTIVATIONS") = names_tuple(kActivationNames);
  m.attr("LOSSES") = names_tuple(kLossNames);
  m.attr("OPTIMIZERS") = names_tuple(kOptimizerNames);
  m.attr("METRICS") = names_tuple(kMetricNames);
  m.attr("__version__") = FASTMLP_VERSION;
  bind_testing(m);
  bind_round_trip(m);

  m.def("optimizer_state_slots", [](const std::string& name, double momentum) {
    OptimizerConfig c;
    c.kind = enum_from_name<OptKind>(kOptimizerNames, name, "optimizer");
    c.momentum = momentum;
    return optimizer_state_slots(c);
  }, py::arg("name"), py::arg("momentum"), "Parameter-sized arrays of state the optimizer keeps.");
  m.def("get_num_threads", &num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 0) throw std::invalid_argument("n must be a thread count >= 1, or 0 for the default; got " +
                                           std::to_string(n));
    set_num_threads(n);
  }, py::arg("n"), "0 returns to OpenMP's default (OMP_NUM_THREADS, threadpoolctl limits).");
  m.def("get_dynamic_threads", &dynamic_threads);
  m.def("set_dynamic_threads", &set_dynamic_threads, py::arg("on"),
        "Whether a step whose size earns a team may run on one thread when timing finds it faster.");
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
    info["dynamic_threads"] = dynamic_threads();
    return info;
  });
}
