"""Kernel regularisers: add l1 * sum|W| + l2 * sum W^2 to the loss (Keras semantics; the L2
gradient is 2 * l2 * W). Biases are not regularised."""
from ._validation import check_float


class L1L2:
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = check_float(l1, "l1")
        self.l2 = check_float(l2, "l2")

    def __repr__(self):
        return f"L1L2(l1={self.l1}, l2={self.l2})"


def L1(l=0.01):  # noqa: E741 - Keras' parameter name
    return L1L2(l1=l)


def L2(l=0.01):  # noqa: E741
    return L1L2(l2=l)
