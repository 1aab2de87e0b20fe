"""Pure figure builders: a result bundle (or a dataset summary, or a job) in, a ``go.Figure`` out.

Every builder takes plain dicts as the API returns them (see
``models/schema/result-bundle.schema.json``), never touches the network and
degrades gracefully: a missing optional key gives a smaller figure or an
:func:`empty_figure` that says what is missing, never an exception.

One module per section of the results page, plus the shared look:

- :mod:`~frontend.figures.style`: palette, model labels, the shared layout, :func:`fmt_number`;
- :mod:`~frontend.figures.grid`: the λ/γ grid (axes, selected point, heatmap, ψ across the grid);
- :mod:`~frontend.figures.wavelet`: φ and ψ, the filters h and g, 2D filters, 3 × 3 sub-filters;
- :mod:`~frontend.figures.activation`: activation maps of test examples;
- :mod:`~frontend.figures.scores`: score rows and bars, the verdict, provenance;
- :mod:`~frontend.figures.data`: dataset preview, target histogram, loss curves;
- :mod:`~frontend.figures.scattering`: the scattering student's filters, path tree and pruning curve.

Pages import the package (``from frontend import figures; figures.wavelet_figure(...)``);
every public name is re-exported here.
"""

from awd_studio.frontend.figures.activation import activation_figure, n_activation_examples, sensitivity_words
from awd_studio.frontend.figures.data import LOSSES_TO_COME, loss_figure, preview_figure, target_histogram_figure
from awd_studio.frontend.figures.explain import drawing_figure, explanation_figure, prediction_lines
from awd_studio.frontend.figures.grid import (
                                   grid_axes,
                                   grid_heatmap_figure,
                                   grid_point_label,
                                   grid_point_options,
                                   kept_initial,
                                   moved_note,
                                   point_index,
                                   psi_grid_figure,
                                   selected_index,
                                   start_note,
)
from awd_studio.frontend.figures.scattering import (
                                   scattering_curve_figure,
                                   scattering_filters_figure,
                                   scattering_scores,
                                   scattering_tree_figure,
)
from awd_studio.frontend.figures.scores import (
    DELIVERED_MARK,
    delivered_key,
    provenance_items,
    score_rows,
    scores_figure,
    target_words,
    truth_line,
    use_line,
    verdict_lines,
)
from awd_studio.frontend.figures.style import MODEL_LABELS, PALETTE, empty_figure, fmt_number, fmt_score
from awd_studio.frontend.figures.wavelet import (
                                   filters_2d_figure,
                                   filters_figure,
                                   highpass,
                                   subfilters_figure,
                                   wavelet_figure,
)

__all__ = [
    "explanation_figure",
    "drawing_figure",
    "prediction_lines",
    "PALETTE",
    "MODEL_LABELS",
    "empty_figure",
    "fmt_number",
    "fmt_score",
    "grid_axes",
    "selected_index",
    "kept_initial",
    "delivered_key",
    "DELIVERED_MARK",
    "point_index",
    "grid_point_label",
    "grid_point_options",
    "start_note",
    "moved_note",
    "wavelet_figure",
    "filters_figure",
    "filters_2d_figure",
    "subfilters_figure",
    "highpass",
    "grid_heatmap_figure",
    "psi_grid_figure",
    "activation_figure",
    "n_activation_examples",
    "sensitivity_words",
    "score_rows",
    "scores_figure",
    "target_words",
    "loss_figure",
    "LOSSES_TO_COME",
    "preview_figure",
    "target_histogram_figure",
    "provenance_items",
    "verdict_lines",
    "use_line",
    "truth_line",
    "scattering_filters_figure",
    "scattering_tree_figure",
    "scattering_curve_figure",
    "scattering_scores",
]
