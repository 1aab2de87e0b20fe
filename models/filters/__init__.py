"""Wavelet filters: where they come from, how they are parameterised, how good they are, how they look.

One module per job: :mod:`.known` (named wavelets), :mod:`.validity` (orthonormality and reconstruction
errors), :mod:`.lattice` (angles <-> orthonormal filters), :mod:`.modules` (trainable banks, make_filter),
:mod:`.shape` (cascade phi/psi, distances, pywt export, 3x3 sub-filters).

Conventions are those of :mod:`models.wavelets`: ``h`` is PyWavelets' lowpass reconstruction filter
``rec_lo`` of even length ``N = 2K``, the highpass is ``g[n] = (-1)**n * h[N - 1 - n]`` (PyWavelets'
``rec_hi``), and filters are batched on the first axis, ``(G, N)``.

Parameterisations
-----------------
:class:`FreeFilter`
    ``h`` itself is the parameter; validity is only encouraged by the penalties of the loss.
:class:`LatticeFilter`
    Exactly orthonormal by construction (paraunitary lattice). With angles ``theta_1..theta_K``::

        h_1 = [cos theta_1, sin theta_1]        G_1 = [-sin theta_1, cos theta_1]
        h_k = cos theta_k [h_{k-1}, 0, 0] + sin theta_k [0, 0, G_{k-1}]
        G_k = -sin theta_k [h_{k-1}, 0, 0] + cos theta_k [0, 0, G_{k-1}]

    i.e. the polyphase matrix is a product of K rotations separated by K - 1 delays. Every orthonormal
    ``h`` of length 2K with ``h[0]`` or ``h[N-1]`` nonzero is reached, with exactly this index convention
    (``h`` is ``rec_lo`` itself, not a reversed or shifted copy); the companion ``G_K`` equals ``-g``.
    Evaluating at z = 1 rotates the vector (sum h, sum G) by ``-theta_k`` per stage, so
    ``sum h = sqrt(2) cos(sum_k theta_k - pi/4)``: the module stores K - 1 free angles and sets
    ``theta_K = pi/4 - sum_{k<K} theta_k``, which makes ``sum h = sqrt(2)`` exactly (one vanishing
    moment: ``sum g = 0``), so every point of the parameter space is a valid orthogonal wavelet.
"""

from awd_studio.models.filters.known import highpass_from_lowpass, lowpass_filter, orthogonal_wavelet_names
from awd_studio.models.filters.lattice import (
    complete_angles,
    lattice_angles_from_filter,
    lowpass_from_angles,
    random_lowpass_filters,
)
from awd_studio.models.filters.modules import (
    PARAMETRIZATIONS,
    FreeFilter,
    LatticeFilter,
    check_lattice_start,
    make_filter,
)
from awd_studio.models.filters.shape import (
    filter_distance,
    nearest_known_wavelet,
    relative_wavelet_distance,
    scaling_and_wavelet,
    subfilters_3x3,
    to_pywt,
    wavelet_distance,
)
from awd_studio.models.filters.validity import orthonormality_error, reconstruction_error, validity_report

__all__ = [
    "PARAMETRIZATIONS",
    "lowpass_filter",
    "orthogonal_wavelet_names",
    "highpass_from_lowpass",
    "orthonormality_error",
    "reconstruction_error",
    "validity_report",
    "lowpass_from_angles",
    "lattice_angles_from_filter",
    "complete_angles",
    "random_lowpass_filters",
    "FreeFilter",
    "LatticeFilter",
    "make_filter",
    "check_lattice_start",
    "scaling_and_wavelet",
    "wavelet_distance",
    "nearest_known_wavelet",
    "relative_wavelet_distance",
    "filter_distance",
    "to_pywt",
    "subfilters_3x3",
]
