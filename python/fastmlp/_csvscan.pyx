# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The data rows of a plain CSV file in one pass (io.read_csv's fast path): numbers straight into a
float64 matrix, label fields as stripped strings.

Plain means what most CSV files are: no quotes, ASCII only, every row with the header's number of
fields, none longer than the csv module's field limit, rows ending in \\n or \\r\\n. Anything else
returns None, and the csv module then reads the file and gives the result or the error, so a file
gives the same numbers and labels either way."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

import numpy as np

cdef extern from "Python.h":
    # float()'s conversion (correctly rounded, independent of the locale) without its stripping,
    # underscores and non-ASCII digits.
    double PyOS_string_to_double(const char* s, char** endptr,
                                 PyObject* overflow_exception) except? -1.0

# 10^0 .. 10^22: every product on the way is exact in a double.
cdef double[23] EXACT_POWERS
EXACT_POWERS[0] = 1.0
for _p in range(1, 23):
    EXACT_POWERS[_p] = EXACT_POWERS[_p - 1] * 10.0

cdef enum:
    LONGEST_GENERAL_NUMBER = 63  # longer numbers than plain decimals send the file to the csv module
    EXPONENT_CAP = 100000        # written exponents from here on are beyond any double either way


cdef inline bint is_space(unsigned char c) noexcept nogil:
    """What str.strip() removes, among ASCII characters."""
    return c == c' ' or 9 <= c <= 13 or 28 <= c <= 31


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return c'0' <= c <= c'9'


cdef int plain_decimal(const unsigned char* s, Py_ssize_t n, double* out) noexcept nogil:
    """s[:n] (stripped, n > 0) into out when it is [+-]digits[.digits][(e|E)[+-]digits] with at most
    19 significant digits making a mantissa m <= 2^53, and a decimal exponent e with |e| <= 22:
    then m and 10^|e| are exact doubles and m * 10^e or m / 10^-e is one correctly rounded
    operation, float()'s result (Clinger's fast path). Returns 1 when done, 0 when the text has
    that form but needs the general conversion, -1 when it does not have the form."""
    cdef Py_ssize_t i = 0, exponent = 0, written_exponent = 0, significant = 0
    cdef uint64_t mantissa = 0
    cdef bint negative = False, any_digit = False, exponent_negative = False
    cdef double value
    if s[0] == c'+' or s[0] == c'-':
        negative = s[0] == c'-'
        i = 1
    # Past 19 significant digits the mantissa wraps: such text takes the general conversion.
    while i < n and is_digit(s[i]):
        any_digit = True
        if mantissa or s[i] != c'0':  # leading zeros are not significant
            significant += 1
            mantissa = mantissa * 10 + (s[i] - c'0')
        i += 1
    if i < n and s[i] == c'.':
        i += 1
        while i < n and is_digit(s[i]):
            any_digit = True
            if mantissa or s[i] != c'0':
                significant += 1
                mantissa = mantissa * 10 + (s[i] - c'0')
            exponent -= 1
            i += 1
    if not any_digit:
        return -1
    if i < n and (s[i] == c'e' or s[i] == c'E'):
        i += 1
        if i < n and (s[i] == c'+' or s[i] == c'-'):
            exponent_negative = s[i] == c'-'
            i += 1
        if i == n or not is_digit(s[i]):
            return -1
        while i < n and is_digit(s[i]):
            if written_exponent < EXPONENT_CAP:
                written_exponent = written_exponent * 10 + (s[i] - c'0')
            i += 1
        if written_exponent >= EXPONENT_CAP:
            return 0  # capped, it could cancel the fraction's zeros back into range
        exponent += -written_exponent if exponent_negative else written_exponent
    if i != n:
        return -1
    if significant > 19 or mantissa > (<uint64_t>1) << 53:
        return 0
    value = <double>mantissa
    if mantissa == 0:
        pass  # any exponent: zero, with the sign below
    elif 0 <= exponent <= 22:
        value = value * EXACT_POWERS[exponent]
    elif -22 <= exponent < 0:
        value = value / EXACT_POWERS[-exponent]
    else:
        return 0
    out[0] = -value if negative else value
    return 1


cdef int to_double(const unsigned char* s, Py_ssize_t n, double* out) except -2:
    """s[:n] (stripped) as float() reads it into out: 0, or -1 where only float() itself would
    (underscores, a long number) or nothing can (the csv reader then reports it)."""
    cdef char[LONGEST_GENERAL_NUMBER + 1] text
    if plain_decimal(s, n, out) == 1:
        return 0
    if n > LONGEST_GENERAL_NUMBER:
        return -1
    memcpy(text, s, n)
    text[n] = 0
    try:
        out[0] = PyOS_string_to_double(text, NULL, NULL)  # inf, nan, 1e400, 17 digits, ...
    except ValueError:
        return -1
    return 0


def _checked_columns(mapping, Py_ssize_t count, what):
    """A private copy of mapping (nothing else can change it while the scan indexes with it) whose
    entries >= 0 are 0 .. count - 1, each once, and the others -1."""
    columns = np.array(mapping, dtype=np.intp)
    used = np.sort(columns[columns != -1])
    if columns.ndim != 1 or not np.array_equal(used, np.arange(count)):
        raise ValueError(f"scan_rows: {what} must hold 0 .. {count - 1} once each and -1 elsewhere; "
                         f"got {mapping!r}")
    return columns


def scan_rows(bytes data not None, Py_ssize_t start, x_column, y_column, Py_ssize_t n_features,
              Py_ssize_t n_targets, Py_ssize_t max_rows, Py_ssize_t longest_field):
    """The rows of data[start:], each of len(x_column) fields: field f goes to column x_column[f]
    of X where that is >= 0, or to label y_column[f] of its row where that is >= 0 (stripped
    text), or is skipped. Blank lines are skipped as the csv module does. Returns (X, labels),
    labels a list of rows of n_targets strings, or None where the text is not plain (above: no
    field may be longer than longest_field, the csv module's limit) or has more than max_rows
    rows."""
    cdef const unsigned char* buf = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    if not 0 <= start <= n or max_rows < 0:
        raise ValueError(f"scan_rows: start {start} of {n} bytes, max_rows {max_rows}")
    x_array = _checked_columns(x_column, n_features, "x_column")
    y_array = _checked_columns(y_column, n_targets, "y_column")
    if y_array.shape[0] != x_array.shape[0]:
        raise ValueError(f"scan_rows: {x_array.shape[0]} and {y_array.shape[0]} fields")
    cdef const Py_ssize_t[::1] xc = x_array, yc = y_array
    cdef Py_ssize_t n_fields = xc.shape[0]
    cdef Py_ssize_t pos = start, row = 0, field, first, end
    cdef unsigned char c
    cdef double value
    X_array = np.empty((max_rows, n_features), dtype=np.float64)
    cdef double[:, ::1] X = X_array
    labels = []
    while pos < n:
        if buf[pos] == c'\n':
            pos += 1
            continue
        if buf[pos] == c'\r' and pos + 1 < n and buf[pos + 1] == c'\n':
            pos += 2
            continue
        if row == max_rows:
            return None
        row_labels = [None] * n_targets if n_targets else None
        field = 0
        while True:
            first = pos
            while pos < n:
                c = buf[pos]
                if c == c',' or c == c'\n' or c == c'\r':
                    break
                if c == c'"' or c >= 128 or c == 0:
                    return None
                pos += 1
            end = pos
            if field == n_fields or end - first > longest_field:
                return None
            if xc[field] >= 0:
                while first < end and is_space(buf[first]):
                    first += 1
                while end > first and is_space(buf[end - 1]):
                    end -= 1
                if first == end or to_double(buf + first, end - first, &value) < 0:
                    return None
                X[row, xc[field]] = value
            elif yc[field] >= 0:
                row_labels[yc[field]] = data[first:end].decode("ascii").strip()
            field += 1
            if pos == n or buf[pos] != c',':
                break
            pos += 1
        if field != n_fields:
            return None
        if pos < n:  # \n or \r\n; a lone \r ends a row for the csv module only
            if buf[pos] == c'\r':
                if pos + 1 == n or buf[pos + 1] != c'\n':
                    return None
                pos += 1
            pos += 1
        if n_targets:
            labels.append(row_labels)
        row += 1
    # Blank lines left rows unused: a copy, so that X does not hold them.
    return (X_array if row == max_rows else X_array[:row].copy()), labels
