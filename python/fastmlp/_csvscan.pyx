# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The data rows of a plain CSV file in one pass (io.read_csv's fast path): numbers straight into a
float64 matrix, label fields as stripped strings.

Plain means what most CSV files are: no quotes, ASCII only, every row with the header's number of
fields, rows ending in \\n or \\r\\n. Anything else returns None, and the csv module then reads
the file and gives the result or the error, so a file reads the same either way."""
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

# 10^0 .. 10^22, each exact in a double.
cdef double[23] EXACT_POWERS
for _p in range(23):
    EXACT_POWERS[_p] = 10.0 ** _p

cdef enum:
    COMMA = 44
    NEWLINE = 10
    RETURN = 13
    QUOTE = 34
    LONGEST_GENERAL_NUMBER = 63


cdef inline bint is_space(unsigned char c) noexcept nogil:
    """What str.strip() removes, among ASCII characters."""
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return 48 <= c <= 57


cdef int plain_decimal(const unsigned char* s, Py_ssize_t n, double* out) noexcept nogil:
    """s[:n] (stripped, n > 0) into out when it is [+-]digits[.digits][(e|E)[+-]digits] with at most
    19 significant digits making a mantissa m <= 2^53, and a decimal exponent e with |e| <= 22:
    then m and 10^|e| are exact doubles and m * 10^e or m / 10^-e is one correctly rounded
    operation, float()'s result (Clinger's fast path). Returns 1 when done, 0 when the text has
    that form but needs the general conversion, -1 when it does not have the form."""
    cdef Py_ssize_t i = 0, exponent = 0, written_exponent = 0
    cdef uint64_t mantissa = 0
    cdef Py_ssize_t significant = 0
    cdef bint negative = False, any_digit = False, exponent_negative = False
    cdef double value
    if s[0] == 43 or s[0] == 45:  # + or -
        negative = s[0] == 45
        i = 1
    # Past 19 significant digits the mantissa wraps: such text takes the general conversion.
    while i < n and is_digit(s[i]):
        any_digit = True
        if mantissa or s[i] != 48:  # leading zeros are not significant
            significant += 1
            mantissa = mantissa * 10 + (s[i] - 48)
        i += 1
    if i < n and s[i] == 46:  # .
        i += 1
        while i < n and is_digit(s[i]):
            any_digit = True
            if mantissa or s[i] != 48:
                significant += 1
                mantissa = mantissa * 10 + (s[i] - 48)
            exponent -= 1
            i += 1
    if not any_digit:
        return -1
    if i < n and (s[i] == 101 or s[i] == 69):  # e or E
        i += 1
        if i < n and (s[i] == 43 or s[i] == 45):
            exponent_negative = s[i] == 45
            i += 1
        if i == n or not is_digit(s[i]):
            return -1
        while i < n and is_digit(s[i]):
            if written_exponent < 100000:  # beyond any double's range either way
                written_exponent = written_exponent * 10 + (s[i] - 48)
            i += 1
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
    cdef int form = plain_decimal(s, n, out)
    if form == 1:
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


def scan_rows(bytes data not None, Py_ssize_t start, const Py_ssize_t[::1] x_column not None,
              const Py_ssize_t[::1] y_column not None, Py_ssize_t n_features,
              Py_ssize_t n_targets, Py_ssize_t max_rows):
    """The rows of data[start:], each of len(x_column) fields: field f goes to column x_column[f]
    of X where that is >= 0, or to label y_column[f] of its row where that is >= 0 (stripped
    text), or is skipped. Blank lines are skipped as the csv module does. Returns (X, labels),
    labels a list of rows of n_targets strings, or None where the text is not plain (above) or
    has more than max_rows rows."""
    cdef const unsigned char* buf = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data), n_fields = x_column.shape[0]
    cdef Py_ssize_t pos = start, row = 0, field, first, end
    cdef unsigned char c
    cdef double value
    # The loop below indexes without checks: its arguments are checked here.
    if not 0 <= start <= n or max_rows < 0 or y_column.shape[0] != n_fields:
        raise ValueError(f"scan_rows: start {start} of {n} bytes, max_rows {max_rows}, "
                         f"{n_fields} and {y_column.shape[0]} fields")
    for field in range(n_fields):
        if not (-1 <= x_column[field] < n_features and -1 <= y_column[field] < n_targets):
            raise ValueError(f"scan_rows: field {field} goes to column {x_column[field]} of "
                             f"{n_features} or label {y_column[field]} of {n_targets}")
    X_array = np.empty((max_rows, n_features), dtype=np.float64)
    cdef double[:, ::1] X = X_array
    labels = []
    while pos < n:
        if buf[pos] == NEWLINE:
            pos += 1
            continue
        if buf[pos] == RETURN and pos + 1 < n and buf[pos + 1] == NEWLINE:
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
                if c == COMMA or c == NEWLINE or c == RETURN:
                    break
                if c == QUOTE or c >= 128 or c == 0:
                    return None
                pos += 1
            end = pos
            if field == n_fields:
                return None
            if x_column[field] >= 0:
                while first < end and is_space(buf[first]):
                    first += 1
                while end > first and is_space(buf[end - 1]):
                    end -= 1
                if first == end or to_double(buf + first, end - first, &value) < 0:
                    return None
                X[row, x_column[field]] = value
            elif y_column[field] >= 0:
                row_labels[y_column[field]] = data[first:end].decode("ascii").strip()
            field += 1
            if pos == n or buf[pos] != COMMA:
                break
            pos += 1
        if field != n_fields:
            return None
        if pos < n:  # \n or \r\n; a lone \r ends a row for the csv module only
            if buf[pos] == RETURN:
                if pos + 1 == n or buf[pos + 1] != NEWLINE:
                    return None
                pos += 1
            pos += 1
        if n_targets:
            labels.append(row_labels)
        row += 1
    return X_array[:row], labels
