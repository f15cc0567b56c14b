"""read_csv's one-pass scanner (fastmlp/_csvscan.pyx) against the csv module's reading: the same
Table wherever it reads a file, float()'s bits for every number, and the csv module's result or
error wherever it declines."""
import csv
import gc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastmlp import _csvscan
from fastmlp.io import DataError, _read_csv_module, _read_plain_csv, read_csv


def scan_column(texts):
    """The numbers of a one-column file holding `texts` as the scanner reads them, or None."""
    data = ("\n".join(texts) + "\n").encode()
    scanned = _csvscan.scan_rows(data, 0, [0], [-1], 1, 0, len(texts), csv.field_size_limit())
    return None if scanned is None else scanned[0][:, 0]


def assert_same_bits(got, texts):
    want = np.array([float(t) for t in texts])
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64), err_msg=str(texts))


def assert_same_table(fast, slow):
    assert fast.feature_names == slow.feature_names and fast.target_names == slow.target_names
    np.testing.assert_array_equal(fast.X.view(np.uint64), slow.X.view(np.uint64))
    assert fast.X.dtype == np.float64 and fast.X.flags.c_contiguous
    if slow.y is None:
        assert fast.y is None
    else:
        assert fast.y.shape == slow.y.shape and fast.y.tolist() == slow.y.tolist()


@pytest.mark.parametrize("text", [
    "0", "-0", "+0.0", "-0e999", "0.000", "5.", ".5", "-.5e-3", "1e22", "1e23", "1E+05", "123456789",
    "9007199254740992", "9007199254740993", "12345678901234567890", "0.1", "0.30000000000000004",
    "1.7976931348623157e308", "1e309", "4.9e-324", "2.4703282292062327e-324", "1e-400",
    "3.141592653589793238462643383279", "00012.500", "inf", "-Infinity", "nan", " 7 ", "\t-2.5\x0b",
    "0.0001e100000", "1e-100000", "1e99999999999999999999",
])
def test_numbers_read_as_float_reads_them(text):
    assert_same_bits(scan_column([text]), [text])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "-", "+"]),
    st.text("0123456789", min_size=1, max_size=24),
    st.one_of(st.just(""), st.text("0123456789", max_size=24).map(lambda d: "." + d)),
    st.one_of(st.just(""), st.builds(lambda e, s, v: e + s + str(v), st.sampled_from("eE"),
                                     st.sampled_from(["", "-", "+"]), st.integers(0, 400)))),
    min_size=1, max_size=20))
def test_decimal_numbers_get_float_s_bits(texts):
    assert_same_bits(scan_column(texts), texts)


def test_a_capped_exponent_never_cancels_the_fraction_s_zeros():
    # float() reads inf; a capped exponent of 100000 less 100000 zeros would read 1.0.
    assert scan_column(["0." + "0" * 99999 + "1e1000000"]) is None


@pytest.mark.parametrize("text", ["1_000", "  ", "1.5.3", "e5", "1e", "--1", "0x10", "1,5"])
def test_what_float_alone_reads_or_nothing_reads_is_declined(text):
    assert scan_column([text]) is None


PLAIN = [
    "a,b,label\n1,2.5,cat\n-3,1e3,dog\n",
    "a,b,label\r\n1,2.5,cat\r\n-3,1e3,dog",                  # CRLF, no final line end
    "\n\r\na, b ,label\n\n1 , 2.5,  big cat \n\n\n-3,\t1e3,dog\n\n",  # blank lines, padding
    "label,a,b\nx,1,2\ny,3,4\n",                               # target first
    "a,b,label\n0.1,1e-400,5\n2,9007199254740993,6\n",
]


@pytest.mark.parametrize("text", PLAIN)
@pytest.mark.parametrize("target,features", [(["label"], None), (["label"], ["b", "a"]), ([], ["a"])])
def test_plain_files_read_as_the_csv_module_reads_them(tmp_path, text, target, features):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    fast = _read_plain_csv(path.read_bytes(), target, features, str(path))
    assert fast is not None
    assert_same_table(fast, _read_csv_module(str(path), target, features))


def test_columns_not_asked_for_may_hold_anything(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("label,a,skip,b\nx,1,any text,2\ny,3,,4\n")
    fast = _read_plain_csv(path.read_bytes(), ["label"], ["b", "a"], str(path))
    assert fast.X.tolist() == [[2, 1], [4, 3]]
    assert_same_table(fast, _read_csv_module(str(path), ["label"], ["b", "a"]))


def test_two_targets_keep_their_requested_order(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("u,a,v\np,1,q\nr,2,s\n")
    fast = _read_plain_csv(path.read_bytes(), ["v", "u"], None, str(path))
    assert fast.y.tolist() == [["q", "p"], ["s", "r"]]
    assert_same_table(fast, _read_csv_module(str(path), ["v", "u"], None))


@pytest.mark.parametrize("text", [
    'a,label\n1,"cat"\n',            # a quote
    '"a",label\n1,cat\n',            # a quoted header
    "a,label\n1,caf\u00e9\n",        # non-ASCII text
    "a,label\n1,cat\r2,dog\n",       # a lone carriage return
    "a,label\n1,cat,3\n",            # more fields than the header
    "a,label\n1\n",                  # fewer
    "a,label\n1_000,cat\n",          # a number only float() reads
    "a,label\nx,cat\n",              # no number at all
    "a,label\n,cat\n",               # an empty field
    "a,label\n1e999,cat\n",          # a number that is not finite
    "a,label\n1,c\x00t\n",           # a NUL byte
    "a,a\n1,2\n",                    # a column named twice
    "a,label\n",                     # no data row
    "a,label",                       # no line end at all
])
def test_other_files_go_to_the_csv_module(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    assert _read_plain_csv(path.read_bytes(), ["label"], None, str(path)) is None
    try:
        slow = _read_csv_module(str(path), ["label"], None)
    except DataError as exc:
        with pytest.raises(DataError) as raised:
            read_csv(str(path), ["label"])
        assert str(raised.value) == str(exc)
    else:
        assert_same_table(read_csv(str(path), ["label"]), slow)


def test_a_column_read_twice_goes_to_the_csv_module(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    assert _read_plain_csv(path.read_bytes(), [], ["a", "a"], str(path)) is None
    assert _read_plain_csv(path.read_bytes(), ["a"], ["a", "b"], str(path)) is None
    assert read_csv(str(path), [], ["a", "a"]).X.tolist() == [[1, 1], [3, 3]]


@pytest.fixture
def field_limit_8():
    before = csv.field_size_limit(8)
    yield
    csv.field_size_limit(before)


LIMITED = [("a,label\n1,{}\n", None), ("a,b,c\n1,2,{}\n", ["b"]), ("a,{}\n1,2\n", None)]


@pytest.mark.parametrize("text,features", LIMITED)
def test_fields_as_long_as_the_csv_module_s_limit_are_read(tmp_path, field_limit_8, text, features):
    path = tmp_path / "d.csv"
    path.write_text(text.format("12345678"))
    assert _read_plain_csv(path.read_bytes(), ["a"], features, str(path)) is not None


@pytest.mark.parametrize("text,features", LIMITED)
def test_longer_fields_go_to_the_csv_module_which_refuses_them(tmp_path, field_limit_8, text, features):
    path = tmp_path / "d.csv"
    path.write_text(text.format("123456789"))
    assert _read_plain_csv(path.read_bytes(), ["a"], features, str(path)) is None
    with pytest.raises(DataError, match="field larger than field limit"):
        read_csv(str(path), ["a"], features)


def test_more_rows_than_counted_are_declined():
    assert _csvscan.scan_rows(b"1\n2\n3\n", 0, [0], [-1], 1, 0, 2, 10) is None
    X, _ = _csvscan.scan_rows(b"1\n2\n\n3", 0, [0], [-1], 1, 0, 4, 10)
    assert X[:, 0].tolist() == [1, 2, 3] and X.flags.owndata  # not a view of 4 rows


@pytest.mark.parametrize("start,x_column,y_column,n_features,n_targets,max_rows", [
    (-1, [0], [-1], 1, 0, 1), (99, [0], [-1], 1, 0, 1), (0, [0], [-1], 1, 0, -1),
    (0, [1], [-1], 1, 0, 1), (0, [-2], [-1], 1, 0, 1), (0, [-1], [1], 1, 1, 1), (0, [0], [], 1, 0, 1),
    (0, [-1], [-1], 3, 0, 1), (0, [0, -1], [-1, 1], 1, 2, 1), (0, [0, 0], [-1, -1], 1, 0, 1),
])
def test_arguments_that_would_index_out_of_bounds_are_refused(start, x_column, y_column, n_features,
                                                               n_targets, max_rows):
    with pytest.raises(ValueError, match="scan_rows"):
        _csvscan.scan_rows(b"1\n", start, x_column, y_column, n_features, n_targets, max_rows, 10)


def test_no_data_is_refused():
    with pytest.raises(TypeError):
        _csvscan.scan_rows(None, 0, [0], [-1], 1, 0, 1, 10)


def test_changing_the_column_map_during_the_scan_changes_nothing():
    # A garbage-collector callback runs Python code in the middle of the scan (a label list
    # allocates): the scan must index with its own checked copy of the map.
    x_column, y_column = np.array([0, -1], np.intp), np.array([-1, 0], np.intp)
    calls = []

    def corrupt(phase, info):
        calls.append(phase)
        x_column[0] = 1 << 40

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(corrupt)
    try:
        X, labels = _csvscan.scan_rows(b"1,a\n" * 1000, 0, x_column, y_column, 1, 1, 1000, 10)
    finally:
        gc.callbacks.remove(corrupt)
        gc.set_threshold(*threshold)
    assert calls and X[:, 0].tolist() == [1.0] * 1000 and labels == [["a"]] * 1000


@settings(max_examples=300, deadline=None)
@given(st.text('01.e-+ ,\n\r"x\t', max_size=60))
def test_any_text_reads_as_the_csv_module_reads_it_or_is_declined(tmp_path_factory, body):
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_bytes(("a,b,c\n" + body).encode())
    fast = _read_plain_csv(path.read_bytes(), ["c"], None, str(path))
    try:
        slow = _read_csv_module(str(path), ["c"], None)
    except DataError:
        assert fast is None
    else:
        if fast is not None:
            assert_same_table(fast, slow)
