// The C++ core checked without Python, on targets the Python tests cannot reach here: CI
// cross-compiles this file and the core for aarch64, where only the portable kernels exist, and
// runs it under qemu (.ci/run). Independent references only: plain loops in double for the
// products, central differences in double for the gradients, the C library for the vector math.
// Exit status 0 when every check passes; each failure prints what it compared and by how much.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "core/finite.h"
#include "core/gemm/gemm.h"
#include "core/init.h"
#include "core/network.h"
#include "core/parallel.h"
#include "core/vmath.h"

using namespace fastmlp;

namespace {

int failures = 0;

void expect(bool ok, const char* what, double value, double bound) {
  if (ok) return;
  ++failures;
  std::printf("FAIL %s: %.3g (bound %.3g)\n", what, value, bound);
}

template <class T>
double differing(const std::vector<T>& a, const std::vector<T>& b) {
  double count = 0;
  for (size_t i = 0; i < a.size(); ++i) count += a[i] != b[i];
  return count;
}

template <class T>
std::vector<T> random_values(i64 n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = T(normal(rng));
  return v;
}

// Two Dense layers: `hidden` units of `act`, then `outputs` of `out_act`.
std::vector<LayerSpec> two_dense(i64 hidden, Act act, i64 outputs, Act out_act) {
  std::vector<LayerSpec> specs(2);
  specs[0].units = hidden;
  specs[0].act = Activation{act};
  specs[1].units = outputs;
  specs[1].act = Activation{out_act};
  return specs;
}

// Glorot-uniform kernels and zero biases, as the Python layer's defaults (the core leaves the
// parameter arena at zero).
template <class T>
void initialise(Network<T>& net, u64 seed) {
  for (const auto& layer : net.layers()) {
    if (layer.spec.kind != LayerKind::Dense) continue;
    const double limit = std::sqrt(6.0 / double(layer.in + layer.out));
    fill_uniform(net.params() + layer.param_offset, layer.in * layer.out, -limit, limit,
                 seed + u64(layer.param_offset));
  }
}

// C = relu(A B + bias) with A and B stored transposed or not, on shapes that cross the register
// tiles' and cache blocks' edges, against a double loop; then the same product on 2 threads must
// give the same bits.
template <class T>
void check_gemm() {
  const double tolerance = sizeof(T) == 4 ? 1e-5 : 1e-13;
  const i64 shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {37, 70, 300}, {130, 33, 520}};
  for (const auto& s : shapes)
    for (int trans = 0; trans < 4; ++trans) {
      const i64 M = s[0], N = s[1], K = s[2];
      const bool ta = trans & 1, tb = trans & 2;
      const std::vector<T> A = random_values<T>(M * K, 1), B = random_values<T>(K * N, 2);
      const std::vector<T> bias = random_values<T>(N, 3);
      const i64 rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
      std::vector<T> C(size_t(M * N));
      set_num_threads(1);
      gemm(M, N, K, A.data(), rsa, csa, B.data(), rsb, csb, C.data(), N, false,
           GemmEpilogue<T>{bias.data(), Activation{Act::Relu}});
      double worst = 0;
      for (i64 i = 0; i < M; ++i)
        for (i64 j = 0; j < N; ++j) {
          double sum = bias[size_t(j)], scale = std::abs(sum);
          for (i64 p = 0; p < K; ++p) {
            const double term = double(A[size_t(i * rsa + p * csa)]) * B[size_t(p * rsb + j * csb)];
            sum += term;
            scale += std::abs(term);
          }
          worst = std::max(worst, std::abs(std::max(sum, 0.0) - C[size_t(i * N + j)]) / scale);
        }
      expect(worst <= tolerance, sizeof(T) == 4 ? "gemm float32 error" : "gemm float64 error",
             worst, tolerance);
      std::vector<T> C2(C.size());
      set_num_threads(2);
      gemm(M, N, K, A.data(), rsa, csa, B.data(), rsb, csb, C2.data(), N, false,
           GemmEpilogue<T>{bias.data(), Activation{Act::Relu}});
      expect(C2 == C, "gemm on 2 threads: values differing from 1 thread", differing(C, C2), 0);
    }
}

// exp, sigmoid, tanh and softplus over [-20, 20] against the C library in double.
void check_vmath() {
  std::vector<float> x(4001);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -20.0f + 0.01f * float(i);
  std::vector<float> e = x, s = x, t = x, p = x;
  vexp(e.data(), i64(e.size()));
  vsigmoid(s.data(), i64(s.size()));
  vtanh(t.data(), i64(t.size()));
  vsoftplus(p.data(), i64(p.size()));
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], softplus = std::log1p(std::exp(v));
    worst = std::max({worst, std::abs(e[i] - std::exp(v)) / std::exp(v),
                      std::abs(s[i] - 1 / (1 + std::exp(-v))) * (1 + std::exp(-v)),
                      std::abs(t[i] - std::tanh(v)) / std::max(std::abs(std::tanh(v)), 1e-30),
                      std::abs(p[i] - softplus) / softplus});
  }
  const double bound = 4 * 0x1p-24;  // two float32 ulp at most (an ulp is 2^-23 to 2^-24 relative)
  expect(worst <= bound, "vector math relative error", worst, bound);
}

// Every gradient of a 5-7-3 tanh/softmax network under sparse cross-entropy, against central
// differences of the loss it reports.
void check_gradients() {
  const std::vector<LayerSpec> specs = two_dense(7, Act::Tanh, 3, Act::Softmax);
  Network<double> net(5, specs, 42);
  initialise(net, 42);
  net.set_loss(LossConfig{LossKind::SparseCategoricalCE, false});
  const i64 rows = 9;
  const std::vector<double> X = random_values<double>(rows * 5, 4);
  std::vector<i64> labels(static_cast<size_t>(rows));
  for (i64 r = 0; r < rows; ++r) labels[size_t(r)] = r % 3;
  const Targets<double> y{nullptr, labels.data(), nullptr};
  const auto mean_loss = [&] {
    net.forward(X.data(), rows, true, false, true);
    return net.backward(X.data(), y, rows) / double(rows);
  };
  mean_loss();
  const std::vector<double> analytic(net.grads(), net.grads() + net.num_params());
  double worst = 0;
  for (i64 i = 0; i < net.num_params(); ++i) {
    double& p = net.params()[i];
    const double saved = p, h = 1e-6;
    p = saved + h;
    const double up = mean_loss();
    p = saved - h;
    const double down = mean_loss();
    p = saved;
    const double numeric = (up - down) / (2 * h);
    worst = std::max(worst, std::abs(numeric - analytic[size_t(i)]) /
                                std::max(1e-3, std::abs(numeric)));
  }
  expect(worst <= 1e-6, "gradient against central differences", worst, 1e-6);
}

// XOR by a 2-8-1 tanh/sigmoid network with Adam: every point classified after 2000 steps.
void check_xor() {
  const std::vector<LayerSpec> specs = two_dense(8, Act::Tanh, 1, Act::Sigmoid);
  Network<float> net(2, specs, 7);
  initialise(net, 7);
  net.set_loss(LossConfig{LossKind::BinaryCE, false});
  OptimizerConfig adam;
  adam.kind = OptKind::Adam;
  adam.lr = 0.05;
  net.set_optimizer(adam);
  const float X[] = {0, 0, 0, 1, 1, 0, 1, 1}, target[] = {0, 1, 1, 0};
  double loss = 0;
  for (int step = 0; step < 2000; ++step)
    if (!net.train_step(X, Targets<float>{target, nullptr, nullptr}, 4, loss)) {
      expect(false, "XOR: a step's loss or gradient was not finite", loss, 0);
      return;
    }
  float out[4];
  net.predict(X, 4, out, false);
  for (int i = 0; i < 4; ++i)
    expect((out[i] > 0.5f) == (target[i] > 0.5f), "XOR point misclassified", out[i], 0.5);
}

// Each NaN and infinity found, at both ends and where two threads' shares meet, on sizes either
// side of the one where the check takes two threads (64 Ki values).
template <class T>
void check_all_finite() {
  const T bad[] = {std::numeric_limits<T>::quiet_NaN(), -std::numeric_limits<T>::quiet_NaN(),
                   std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (i64 n : {1, 17, 70001}) {
      std::vector<T> x = random_values<T>(n, 6);
      x[0] = std::numeric_limits<T>::max();
      x[size_t(n - 1)] = -T(0);
      expect(all_finite(x.data(), n), "all_finite refused finite values", double(n), 0);
      for (i64 place : {i64(0), n / 2 - 1, n / 2, n - 1}) {
        if (place < 0) continue;
        for (T value : bad) {
          const T saved = x[size_t(place)];
          x[size_t(place)] = value;
          expect(!all_finite(x.data(), n), "all_finite missed a NaN or infinity at", double(place),
                 0);
          x[size_t(place)] = saved;
        }
      }
    }
  }
}

// A step large enough for a team (one parallel region) gives the bits of one thread.
void check_team_step() {
  const i64 rows = 256, inputs = 200;
  const std::vector<LayerSpec> specs = two_dense(300, Act::Relu, 10, Act::Softmax);
  const std::vector<float> X = random_values<float>(rows * inputs, 5);
  std::vector<i64> labels(static_cast<size_t>(rows));
  for (i64 r = 0; r < rows; ++r) labels[size_t(r)] = (r * 7) % 10;
  std::vector<std::vector<float>> params;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Network<float> net(inputs, specs, 3);
    initialise(net, 3);
    net.set_loss(LossConfig{LossKind::SparseCategoricalCE, false});
    double loss = 0;
    for (int step = 0; step < 3; ++step)
      net.train_step(X.data(), Targets<float>{nullptr, labels.data(), nullptr}, rows, loss);
    params.emplace_back(net.params(), net.params() + net.num_params());
    if (threads == 2)
      expect(net.step_threads(rows) == 2, "the step did not take a team", net.step_threads(rows), 2);
  }
  expect(params[0] == params[1], "team step: parameters differing from one thread",
         differing(params[0], params[1]), 0);
}

}  // namespace

int main() {
  std::printf("fastmlp core smoke test: kernels %s\n", gemm_isa());
  check_gemm<float>();
  check_gemm<double>();
  check_vmath();
  check_all_finite<float>();
  check_all_finite<double>();
  check_gradients();
  check_xor();
  check_team_step();
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  return failures ? 1 : 0;
}
