"""Save/load: bitwise predictions, identical continued training, untrusted files refused cleanly."""
import pickle

import numpy as np
import pytest

import fastmlp as fm


def trained(dtype="float32", optimizer=None):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 6)).astype(dtype)
    y = rng.integers(0, 3, 128)
    m = fm.Sequential([fm.layers.GaussianNoise(0.05), fm.layers.Dense(12, activation="relu"),
                       fm.layers.Dense(12, activation=fm.activations.LeakyReLU(0.2),
                                       kernel_regularizer=fm.regularizers.L1L2(1e-3, 1e-3)),
                       fm.layers.Dense(3, activation="softmax")], input_dim=6, dtype=dtype, seed=4)
    m.compile(optimizer=optimizer or fm.optimizers.Adam(lr=1e-2), loss="sparse_categorical_crossentropy",
              metrics=["accuracy", fm.metrics.TopKAccuracy(2)], clip_norm=5.0)
    m.fit(X, y, epochs=2, batch_size=16, verbose=0)
    return m, X, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", [fm.optimizers.Adam(lr=1e-2), fm.optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True),
                                       fm.optimizers.RMSprop(lr=1e-3, momentum=0.5), fm.optimizers.AdamW(lr=1e-2),
                                       fm.optimizers.Adam(lr=1e-2, eps=1e-3, eps_hat=True)])
def test_save_load_predicts_bitwise_and_continues_identically(tmp_path, dtype, optimizer):
    m, X, y = trained(dtype, optimizer)
    path = tmp_path / "m.fmlp"
    m.save(path)
    loaded = fm.load_model(path)
    assert repr(loaded.optimizer) == repr(m.optimizer)
    np.testing.assert_array_equal(loaded.predict(X), m.predict(X))
    assert loaded.evaluate(X, y) == m.evaluate(X, y)
    m.fit(X, y, epochs=2, batch_size=16, verbose=0)
    loaded.fit(X, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(m.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.iterations == m.iterations


def test_pickle_round_trip():
    m, X, _ = trained()
    copy = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(copy.predict(X), m.predict(X))
    assert [l.name for l in copy.layers] == [l.name for l in m.layers]


def test_uncompiled_model_round_trips(tmp_path):
    m = fm.Sequential([fm.layers.Dense(3)], input_dim=2)
    m.save(tmp_path / "u.fmlp")
    loaded = fm.load_model(tmp_path / "u.fmlp")
    assert loaded.loss is None
    np.testing.assert_array_equal(loaded.get_weights()[0], m.get_weights()[0])


def test_no_temporary_file_is_left_behind(tmp_path):
    m, _, _ = trained()
    m.save(tmp_path / "m.fmlp")
    assert [p.name for p in tmp_path.iterdir()] == ["m.fmlp"]


def corruptions(data):
    rng = np.random.default_rng(0)
    yield b""
    yield b"not a zip file at all"
    yield rng.bytes(len(data))
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 1):
        yield data[:cut]
    for _ in range(60):
        flipped = bytearray(data)
        for pos in rng.integers(0, len(data), 3):
            flipped[pos] ^= 1 << int(rng.integers(0, 8))
        yield bytes(flipped)


def test_corrupt_files_give_value_errors_never_crashes():
    from fastmlp.saving import model_from_bytes, model_to_bytes

    m, X, _ = trained()
    data = model_to_bytes(m)
    for bad in corruptions(data):
        try:
            loaded = model_from_bytes(bad)
        except ValueError:
            continue
        # A flip inside a float's bits can leave a valid (different) model: it must still work.
        assert loaded.predict(X).shape == (128, 3)


def test_header_lying_about_sizes_is_refused():
    import io
    import json
    import zipfile

    from fastmlp.saving import model_from_bytes, model_to_bytes

    m, _, _ = trained()
    src = zipfile.ZipFile(io.BytesIO(model_to_bytes(m)))
    header = json.loads(np.load(io.BytesIO(src.read("header.npy"))).tobytes())
    header["layers"][1]["units"] = 10 ** 9  # would need a giant arena
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(json.dumps(header).encode(), np.uint8))
        zf.writestr("header.npy", buf.getvalue())
        for name in ("params.npy", "optimizer_state.npy"):
            zf.writestr(name, src.read(name))
    # Refused from the sizes alone: the giant network is never allocated.
    with pytest.raises(ValueError, match="'params' holds float32 \\(\\d+,\\); expected float32 \\(\\d{9,},\\)"):
        model_from_bytes(out.getvalue())


@pytest.mark.parametrize("field, value", [("flags", 0x1), ("method", 97)])
def test_member_flagged_encrypted_or_oddly_compressed_is_corrupt(field, value):
    # zipfile refuses such members with RuntimeError (encrypted) or NotImplementedError (an
    # unknown compression method); one flipped bit of the central directory makes either.
    import struct

    from fastmlp.saving import model_from_bytes, model_to_bytes

    m, _, _ = trained()
    blob = bytearray(model_to_bytes(m))
    entry = blob.index(b"PK\x01\x02")  # the first member's central directory record
    offset = entry + (8 if field == "flags" else 10)
    old = struct.unpack_from("<H", blob, offset)[0]
    struct.pack_into("<H", blob, offset, old | value if field == "flags" else value)
    with pytest.raises(ValueError, match="model file is corrupt"):
        model_from_bytes(bytes(blob))
