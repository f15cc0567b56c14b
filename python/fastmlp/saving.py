"""The model file: a zip of three .npy arrays, never pickle, so loading a file cannot run code.

- header.npy: uint8 bytes of a UTF-8 JSON object: {"format": "fastmlp", "version": 1, "dtype",
  "input_dim", "seed", "layers": [layer configs], "compile": null or {loss, from_logits,
  optimizer: {class, hyperparameters}, metrics, clip_norm, clip_value}, "iterations",
  "epochs_done", and optionally "preprocessing": the feature names, scaler and class labels
  the command line trains with (fastmlp.io.Preprocessing; absent when model.preprocessing is None)}
- params.npy: the flat arena of trainable weights (in get_weights order, flattened)
- state.npy: the flat arena of non-trainable weights (BatchNorm's moving statistics)
- optimizer_state.npy: the optimizer's flat state (momenta, moments), empty when not compiled

Loading treats the file as untrusted: the header is parsed with a size limit, the architecture is
rebuilt through the public constructors (which validate every field), and each array's declared
dtype and shape are checked against what that architecture needs before any data is read."""
import io
import json
import os
import tempfile
import zipfile

import numpy as np

from . import _core

FORMAT, VERSION = "fastmlp", 1
_MAX_HEADER_BYTES = 1 << 20


def model_to_bytes(model):
    model._require_built()
    header = {
        "format": FORMAT, "version": VERSION, "dtype": model.dtype.name, "input_dim": model.input_dim,
        "seed": model.seed, "name": model.name, "layers": [layer.get_config() for layer in model.layers],
        "compile": None, "iterations": int(model.iterations), "epochs_done": int(model._epochs_done),
    }
    if model.preprocessing is not None:
        header["preprocessing"] = model.preprocessing.to_json()
    state = np.zeros(0, model.dtype)
    if model.loss is not None:
        opt = model.optimizer
        header["compile"] = {
            "loss": model.loss.name, "from_logits": model.loss.from_logits,
            "optimizer": {"class": type(opt).__name__,
                          "config": {k: v for k, v in vars(opt).items() if not k.startswith("_")} | {"lr": opt.lr}},
            "metrics": [[m.name, m.k] for m in model._metrics],
            "clip_norm": model._clip[0] or None, "clip_value": model._clip[1] or None,
        }
        state = model._net.optimizer_state
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, array in (("header", np.frombuffer(json.dumps(header).encode(), np.uint8)),
                            ("params", np.asarray(model._net.params)),
                            ("state", np.asarray(model._net.state)), ("optimizer_state", state)):
            with zf.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def save_model(model, path):
    """Write atomically: a temporary file in the same folder, then a rename."""
    path = os.fspath(path)
    data = model_to_bytes(model)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fastmlp-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _array_header(zf, name, dtype, shape):
    """The member `name`'s zip entry after checking its declared dtype and shape against the
    expected ones, and that the file really holds that many bytes: nothing is allocated from a
    size the file merely claims."""
    try:
        info = zf.getinfo(f"{name}.npy")
    except KeyError:
        raise ValueError(f"model file has no {name!r} array") from None
    with _open_member(zf, info) as f:
        version = np.lib.format.read_magic(f)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise ValueError(f"{name!r} has an unsupported .npy version {version}")
        got_shape, fortran, got_dtype = readers[version](f)
        offset = f.tell()
    if got_dtype != dtype or fortran or len(got_shape) != 1 or (shape is not None and got_shape != shape):
        raise ValueError(f"{name!r} holds {got_dtype} {got_shape}; expected {np.dtype(dtype)} "
                         f"{shape if shape is not None else '(n,)'}")
    nbytes = got_shape[0] * np.dtype(dtype).itemsize
    if shape is None and nbytes > _MAX_HEADER_BYTES:
        raise ValueError(f"{name!r} is {nbytes} bytes, over the {_MAX_HEADER_BYTES}-byte limit")
    if info.file_size != offset + nbytes:
        raise ValueError(f"{name!r} is truncated or has trailing data: {info.file_size - offset} "
                         f"bytes for {nbytes}")
    return info, offset, nbytes


def _open_member(zf, info):
    """zf.open; a member this format never writes (flagged encrypted, or compressed by a method
    zipfile lacks: a corrupt flag or method field) makes the file corrupt, not a RuntimeError."""
    try:
        return zf.open(info)
    except (RuntimeError, NotImplementedError) as exc:
        raise ValueError(f"model file is corrupt: {exc}") from None


def _read_array(zf, header, dtype):
    info, offset, nbytes = header
    with _open_member(zf, info) as f:
        f.read(offset)
        data = f.read(nbytes + 1)
    if len(data) != nbytes:
        raise ValueError(f"{info.filename!r} is truncated: {len(data)} of {nbytes} bytes")
    return np.frombuffer(data, dtype).copy()


def _weight_counts(model):
    """(trainable, non-trainable) weight counts of an unbuilt model, from its layer specs."""
    trainable = state = 0
    width = model.input_dim
    for leaf in model._leaves():
        if leaf.kind == "dense":
            trainable += width * leaf.units + (leaf.units if leaf.use_bias else 0)
        elif leaf.kind in ("batch_norm", "layer_norm"):
            trainable += 2 * width
            state += 2 * width if leaf.kind == "batch_norm" else 0
        width = leaf.output_dim(width)
    return trainable, state


def model_from_bytes(data):
    from . import optimizers
    from .io import Preprocessing
    from .layers import from_config
    from .model import Sequential

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a fastmlp model file: {exc}") from None
    try:
        with zf:
            uint8 = np.dtype(np.uint8)
            raw = _read_array(zf, _array_header(zf, "header", uint8, None), uint8)
            try:
                header = json.loads(raw.tobytes().decode())
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"model file header is not valid JSON: {exc}") from None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError("not a fastmlp model file (format field missing)")
            if header.get("version") != VERSION:
                raise ValueError(f"model file version {header.get('version')!r} is not supported "
                                 f"(this fastmlp reads version {VERSION})")
            try:
                layers = header["layers"]
                if not isinstance(layers, list):
                    raise ValueError("'layers' must be a list")
                model = Sequential([from_config(c) for c in layers], input_dim=header["input_dim"],
                                   seed=header["seed"], dtype=header["dtype"], name=header.get("name"))
                compiled = header["compile"]
                if compiled is not None:
                    opt_cfg = compiled["optimizer"]
                    if opt_cfg["class"] not in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"):
                        raise ValueError(f"unknown optimizer class {opt_cfg['class']!r}")
                    from . import losses, metrics
                    loss = type(losses.get(compiled["loss"]))(from_logits=compiled["from_logits"])
                    model.compile(optimizer=getattr(optimizers, opt_cfg["class"])(**opt_cfg["config"]),
                                  loss=loss,
                                  metrics=[metrics.TopKAccuracy(k) if n == "top_k_accuracy" else n
                                           for n, k in compiled["metrics"]],
                                  clip_norm=compiled["clip_norm"], clip_value=compiled["clip_value"])
                iterations, epochs_done = header["iterations"], header["epochs_done"]
                if header.get("preprocessing") is not None:
                    model.preprocessing = Preprocessing.from_json(header["preprocessing"], model.input_dim,
                                                                  model.output_dim)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"model file header is malformed: {exc!r}") from None
            model.output_dim  # residual widths, before any size is computed from them
            n_params, n_state = _weight_counts(model)
            slots = 0 if compiled is None else _core.optimizer_state_slots(
                model.optimizer.name, getattr(model.optimizer, "momentum", 0.0))
            headers = {name: _array_header(zf, name, model.dtype, (count,)) for name, count in
                       (("params", n_params), ("state", n_state), ("optimizer_state", slots * n_params))}
            model.build()  # only now, with every size checked against the file's real contents
            net = model._net
            net.params[...] = _read_array(zf, headers["params"], model.dtype)
            net.state[...] = _read_array(zf, headers["state"], model.dtype)
            if compiled is not None:
                net.optimizer_state = _read_array(zf, headers["optimizer_state"], model.dtype)
            if not (np.isfinite(net.params).all() and np.isfinite(net.state).all()):
                raise ValueError("model file holds non-finite weights")
            for value, what in ((iterations, "iterations"), (epochs_done, "epochs_done")):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"model file field {what!r} must be an integer >= 0; got {value!r}")
            net.iterations = iterations
            model._epochs_done = epochs_done
            return model
    except zipfile.BadZipFile as exc:
        raise ValueError(f"model file is corrupt: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"model file is corrupt: {exc}") from None


def load_model(path):
    """A model saved by Model.save, with its optimizer state: predictions are bitwise identical
    and training continues as it would have."""
    with open(os.fspath(path), "rb") as f:
        return model_from_bytes(f.read())


def restore_into(model, path):
    """Load the checkpoint at `path` into `model` (same layers and dtype): weights, moving
    statistics, optimizer state and step counters. Returns the number of epochs it had done."""
    saved = load_model(path)
    if ([layer.get_config() for layer in saved.layers] != [layer.get_config() for layer in model.layers]
            or saved.dtype != model.dtype or saved.input_dim != model.input_dim):
        raise ValueError(f"resume_from={os.fspath(path)!r} holds a different architecture or dtype "
                         "than this model")
    model._require_built()
    net, src = model._net, saved._net
    net.params[...] = src.params
    net.state[...] = src.state
    if saved.loss is not None and type(saved.optimizer) is type(model.optimizer):
        net.optimizer_state = src.optimizer_state
    net.iterations = src.iterations
    model._epochs_done = saved._epochs_done
    return saved._epochs_done
