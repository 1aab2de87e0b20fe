"""Size rules of the transforms: modes, coefficient lengths, the level limit and its check.

Everything here is arithmetic on integers, shared by the 1D and 2D transforms and the dense operators, and
it is the one definition of how deep a transform may go (:func:`max_level`, :func:`check_level`). Lengths
follow PyWavelets' ``dwt_coeff_len`` and its reconstruction rule.
"""

import numbers

__all__ = ["MODES", "coeff_lengths", "max_level", "check_level"]

#: Boundary modes, with PyWavelets' names (and numbers).
MODES = ("periodization", "zero", "symmetric")


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode: unknown mode {mode!r}; pass one of {', '.join(MODES)}")


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _out_len(n, filter_len, mode):
    """Number of coefficients of one level on ``n`` samples (PyWavelets' ``dwt_coeff_len``)."""
    if mode == "periodization":
        return (n + 1) // 2
    return (n + filter_len - 1) // 2


def _full_rec_len(m, filter_len, mode):
    """Number of samples ``idwt`` returns from ``m`` coefficients before any trimming (PyWavelets)."""
    if mode == "periodization":
        return 2 * m
    return 2 * m - filter_len + 2


def max_level(length, filter_len, mode="periodization"):
    """Deepest level for which every level still shortens the approximation.

    This is the limit every transform here enforces. It is not PyWavelets' ``dwt_max_level``, which is
    ``floor(log2(length / (filter_len - 1)))`` in every mode (2 for length 64 and db5): the deepest level at
    which some coefficient is free of boundary effects, a default and a warning threshold, not a limit
    (``pywt.wavedec`` computes deeper levels after a warning; the paper uses J = 4 of db5 on length 64).
    Beyond :func:`max_level` PyWavelets' levels only repeat the last one: one coefficient in
    periodization, ``floor((n + N - 1) / 2) >= n`` coefficients in zero and symmetric modes.

    Parameters
    ----------
    length : int
        Signal length L (samples).
    filter_len : int
        Filter length N (even).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    int
        ``J_max >= 0``. In periodization this is ``ceil(log2(L))`` (the coarsest approximation has one
        sample); in zero and symmetric modes levels stop once ``floor((n + N - 1) / 2) >= n``.

    Examples
    --------
    >>> max_level(64, 10)
    6
    >>> max_level(64, 10, "zero")
    6
    >>> max_level(100, 10)
    7
    """
    length = _check_int(length, "length", 1)
    filter_len = _check_int(filter_len, "filter_len", 2)
    _check_mode(mode)
    level, n = 0, length
    while True:
        m = _out_len(n, filter_len, mode)
        if m >= n:
            return level
        level, n = level + 1, m


def check_level(length, filter_len, level, mode="periodization"):
    """Raise ``ValueError`` unless ``1 <= level <= max_level(length, filter_len, mode)``.

    Parameters
    ----------
    length : int
        Signal length (samples); in 2D pass each axis in turn.
    filter_len : int
        Filter length N.
    level : int
        Requested number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    int
        ``level`` as a Python int.
    """
    level = _check_int(level, "level", 1)
    deepest = max_level(length, filter_len, mode)
    if level > deepest:
        raise ValueError(
            f"level: {level} levels are too many for a signal of length {length} with a filter of length "
            f"{filter_len} in mode {mode!r}; the max level is {deepest} (pass level <= {deepest} or a longer "
            "signal)"
        )
    return level


def coeff_lengths(length, filter_len, level, mode="periodization"):
    """Lengths of the coefficient arrays of :func:`~models.wavelets.wavedec1d`, in PyWavelets' order.

    Parameters
    ----------
    length : int
        Signal length L.
    filter_len : int
        Filter length N.
    level : int
        Number of levels J (checked with :func:`check_level`).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    list of int
        ``[len(cA_J), len(cD_J), ..., len(cD_1)]``, J + 1 numbers; their sum is M, the number of rows of
        :func:`~models.wavelets.analysis_matrix`.

    Examples
    --------
    >>> coeff_lengths(64, 10, 4)
    [4, 4, 8, 16, 32]
    """
    _check_mode(mode)
    level = check_level(length, filter_len, level, mode)
    sizes, n = [], length
    for _ in range(level):
        n = _out_len(n, filter_len, mode)
        sizes.append(n)
    return [sizes[-1]] + sizes[::-1]


def _rec_lengths(lengths, filter_len, mode, length):
    """Output length of each synthesis level (coarse to fine) following PyWavelets' trimming rule."""
    if lengths[0] != lengths[1]:
        raise ValueError(
            f"coeffs: cA_J has {lengths[0]} coefficients but cD_J has {lengths[1]}; they must match "
            "(pass the list returned by wavedec1d)"
        )
    targets = []
    for j in range(1, len(lengths)):
        full = _full_rec_len(lengths[j], filter_len, mode)
        if j + 1 < len(lengths):
            target, what = lengths[j + 1], f"the next detail array ({lengths[j + 1]} coefficients)"
        elif length is not None:
            target, what = _check_int(length, "length", 1), f"length = {length}"
        else:
            target, what = full, None
        if what is not None and full - target not in (0, 1):
            raise ValueError(
                f"coeffs: a level with {lengths[j]} coefficients reconstructs {full} samples, which does not "
                f"fit {what} in mode {mode!r} with N = {filter_len}; pass the list returned by wavedec1d "
                "with the same filter length and mode"
            )
        targets.append(target)
    return targets
