"""The record of a fit: per-epoch values by name, as Keras' History."""
import sys

from .callbacks import Callback


class History(Callback):
    def __init__(self):
        self.history = {}
        self.epoch = []

    def _unattended_epochs(self):
        # Only records; a subclass may act between epochs, so it sees each one as it ends.
        return sys.maxsize if type(self) is History else 1

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def plot(self, path=None, keys=None):
        """Loss and metric curves (training and validation) and per-layer gradient norms, drawn
        with matplotlib (pip install "fastmlp[plot]"). Saved to `path` when given; returns the
        figure."""
        try:
            import matplotlib
            if path is not None:
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError('History.plot needs matplotlib: pip install "fastmlp[plot]"') from exc
        keys = keys or [k for k in self.history
                        if not k.startswith(("val_", "grad_norm/")) and k not in ("lr", "time")]
        norms = [k for k in self.history if k.startswith("grad_norm/")]
        panels = len(keys) + (1 if norms else 0)
        fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 3.5), squeeze=False)
        for ax, key in zip(axes[0], keys):
            ax.plot(self.epoch, self.history[key], label=key)
            if f"val_{key}" in self.history:
                ax.plot(self.epoch, self.history[f"val_{key}"], label=f"val_{key}")
            ax.set_xlabel("epoch")
            ax.set_title(key)
            ax.legend()
        if norms:
            ax = axes[0][-1]
            for key in norms:
                ax.semilogy(self.epoch, self.history[key], label=key.split("/", 1)[1])
            ax.set_xlabel("epoch")
            ax.set_title("gradient norm per layer")
            ax.legend(fontsize="small")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
