"""What to trust in a result: plain notes from its scores (a pure function of the bundle).

:func:`trust_notes` reads ``teacher.test``, ``models.<name>.test`` and ``verdict.test_difference`` and says
when the teacher is weak, when a fixed baseline beats AWD, when AWD beats its own teacher (and the likely
reason), and, for bundles without a verdict sentence, whether distillation helped according to the paired
bootstrap interval of AWD minus the initial wavelet on the test set. With the teacher-free control
(``selection.random_search``) one more note says whether AWD beat the best of the random wavelets a search on the
labels alone found. The results page shows each note as an alert under the verdict.
"""

from __future__ import annotations

import numpy as np
import pywt

from awd_studio.models.options import GRID_PRESETS, RANDOM_SEARCH_MIN_SAMPLES, GridPreset
from awd_studio.models.pipeline.model_registry import BASELINES, FIXED_FILTER_BASELINES
from awd_studio.models.pipeline.predict import recommended_model
from awd_studio.models.pipeline.student_params import LOW_IN_SERIES
from awd_studio.models.pipeline.verdict import (
    FEW_TEST_SAMPLES,
    FIXED_FILTER_SES,
    SMALL_WORDS,
    STUDENT_NAMES,
    WEAK_TEACHER_R2,
    awd_significantly_worse,
    difference_number,
    interval_side,
    is_small,
    rmse_difference_words,
    uploaded_teacher,
    verdict_samples,
)
from awd_studio.models.teachers.training import still_improving_at_cap
from awd_studio.models.teachers.units import (
    UNITS_REMEDY,
    at_other_scale,
    constant_output,
    constant_words,
    scale_numbers,
)

__all__ = ["trust_notes", "fixed_filter_words", "WEAK_TEACHER_R2", "BASELINES", "COMPRESSION_DEFINITION",
           "KNOWN_CLOSE", "GRID_SAME", "GRID_MOVED_LITTLE", "share_words",
           "FEW_TEST_SAMPLES", "FEW_TRAINING_SAMPLES", "few_samples_words", "weak_selection_words",
           "uploaded_words"]

#: Below this many training samples (or :data:`~models.pipeline.verdict.FEW_TEST_SAMPLES` test samples) the scores
#: get a caution (:func:`few_samples_words`).
FEW_TRAINING_SAMPLES = 100


def few_samples_words(n_train: int, n_test: int, noun: str = "samples") -> str | None:
    """A caution for scores on few samples, or None from :data:`FEW_TEST_SAMPLES` test and
    :data:`FEW_TRAINING_SAMPLES` training samples on.

    Review 18: 14 training and 4 test series gave a test-R² interval "0.000 to 4.332" and a training-mean CV R² of
    −198, printed as findings. Said on the configure page (the estimate) before such a job runs, and among the
    result's notes after.

    Examples
    --------
    >>> few_samples_words(3000, 800) is None
    True
    >>> few_samples_words(14, 4, "series")[:45]
    'Only 14 training and 4 test series: the test '
    """
    if n_test >= FEW_TEST_SAMPLES and n_train >= FEW_TRAINING_SAMPLES:
        return None
    return (f"Only {n_train} training and {n_test} test {noun}: the test scores rest on {n_test} and the "
            "cross-validation on folds of a few, so R² swings widely from one split to another (a fold whose few "
            "targets happen to lie close together scores far below 0), and an interval resampled from so few is "
            f"itself unreliable. Read the scores as anecdotes; a few hundred {noun} give scores worth comparing.")


def weak_selection_words(selection: dict) -> str | None:
    """A caution when cross-validation delivered AWD with few folds or a single repeat, where its check against
    picking the best of many grid points by chance is weak (:func:`models.pipeline.selection.selection_fold_scores`);
    None otherwise.

    Examples
    --------
    >>> weak_selection_words({"choice": "awd", "rule": "one_se", "folds": 2, "repeats": 3, "n_candidates": 19})[:52]
    'Cross-validation chose AWD with 2 folds × 3 repeats:'
    >>> weak_selection_words({"choice": "awd", "rule": "one_se", "folds": 5, "repeats": 3}) is None
    True
    """
    folds, repeats = selection.get("folds"), selection.get("repeats")
    if (selection.get("choice") != "awd" or selection.get("rule") != "one_se" or not isinstance(folds, int)
            or not isinstance(repeats, int) or (folds > 3 and repeats > 1)):
        return None
    points = int(selection.get("n_candidates") or 1) - 1
    return (f"Cross-validation chose AWD with {folds} folds × {repeats} repeat{'s' if repeats > 1 else ''}: there, "
            f"its check that the best of the {points} grid points does not lead by chance is weak (in a simulation "
            "of points no better than the initial wavelet, AWD was chosen 24-28 % of the time at 2 folds × 3 "
            "repeats, 13-15 % at 5 × 1, against 3.5 % at the default 5 × 3). Rely on the test interval in the "
            "verdict, or give the data more maps or series (with tiles: more maps of each cosmology) or more "
            "repeats.")


#: AWD must beat its teacher's test R² by this much before a note says so (test-set noise).
MARGIN_R2 = 0.02
#: The teacher's test R² must lead the delivered student's by this much before a note says the student falls short.
STUDENT_GAP_R2 = 0.05
#: A series student whose terms' variances add up to more than this many times the variance of its predictions
#: (``term_variance_ratio``) has terms that largely cancel one another: about 1 for independent terms. Review 24B's
#: data gave db5's fixed-positions student 236 test-target SDs of summed contributions |weight| × SD (a first measure,
#: which also grew with the number of independent terms: review 25B); its terms reading mostly the padding past the
#: series' ends were its cancelling pairs, and the positions no longer include them.
CANCEL_RATIO = 10.0
#: A student's term whose training values the other terms carry to this R² or more (``features[].redundancy``) has a
#: weight the data do not identify (review 51D: on the synthetic example, db5's fixed-positions student had 30
#: features of rank 27, and its terms cA4[5], cD1[33] and cD1[32], mixes of the others to R² 1.000000, 0.99937 and
#: 0.99919, were listed 4th to 7th by influence). The fixed-positions student now passes over positions that would
#: be such mixes (``models.students.series.MAX_POSITION_R2``, the same R²).
REDUNDANT_R2 = 0.99
#: A series student owing this share of its influence (``|weight| x sd``) or more to terms that read mostly beyond the
#: series' ends gets a note (:func:`_beyond_ends_words`; review 39B: 37 % on the CME example's AWD student, whose
#: lead over db5 vanished when those terms were held at their mean).
BEYOND_ENDS_INFLUENCE = 0.25
#: A learned wavelet within this relative distance of a known one (``wavelet.nearest_known``) is called by its name.
KNOWN_CLOSE = 0.05
#: Every grid point's filter within this relative distance of the best point's: the grid ended at one filter.
GRID_SAME = 0.01
#: A best filter that ended within this relative distance of its start moved little: a grid that ended at one filter
#: then may not have trained long enough, or with a large enough γ, for λ and γ to tell (review 42B: two CME points
#: 2.7 % from db5 after 3 epochs, 0.14 % apart, were said to show that λ and γ made no difference on the data).
GRID_MOVED_LITTLE = 0.05

#: The compression factor as the bundle computes it (models.metrics.compression_factor, relative=True).
COMPRESSION_DEFINITION = (
    "Compression factor (after Ha et al. 2021): the share of the test set's wavelet coefficients that are "
    "active, i.e. whose magnitude |c| and whose attribution (TRIM saliency) both exceed 10⁻³ of their largest "
    "value over the test set. Lower means the teacher's explanation, seen through this wavelet, uses fewer "
    "coefficients. Defined for students that read wavelet coefficients (AWD, γ = 0, initial wavelet), not for "
    "the fixed-filter baselines or the teacher. The paper's threshold is 10⁻³ in the data's own units; this "
    "one is relative, so the share does not depend on the units, and it is not comparable with the paper's "
    "numbers.")


def _name(bundle: dict, key: str) -> str:
    if key == "baseline_wavelet":
        return f"initial wavelet ({(bundle.get('wavelet') or {}).get('init', '?')})"
    return STUDENT_NAMES.get(key, key)


def _r2(entry) -> float | None:
    value = ((entry or {}).get("test") or {}).get("r2")
    return float(value) if isinstance(value, (int, float)) else None


def _note(level: str, key: str, text: str) -> dict:
    return {"level": level, "key": key, "text": text}


def units_words(teacher: dict) -> str | None:
    """The note on uploaded weights whose test predictions sit at another scale than the target (``teacher.
    prediction_scale``) by :func:`models.teachers.units.at_other_scale`: with a test R² below 0, a straight line
    through them fitting the target (they follow it in other units), or their mean more than two target SDs away,
    or their spread 5 times larger or smaller (the upload of weights for a dataset applies the same test to a
    sample of it). The usual cause is the normalisation: a network trained on
    standardised data whose state dict lacks ``x_mean``, ``x_std``, ``y_mean`` and ``y_std``. None otherwise.

    Examples
    --------
    >>> t = {"test": {"r2": -221.0}, "prediction_scale": {"mean": 0.01, "sd": 0.9, "target_mean": 0.3,
    ...                                                   "target_sd": 0.06}}
    >>> units_words(t)[:90]
    'The uploaded teacher predicts at another scale than the target: on the test set its predic'
    >>> units_words({**t, "test": {"r2": 0.4}}) is None
    True
    """
    scale, r2 = teacher.get("prediction_scale"), _r2(teacher)
    if not scale or r2 is None or not at_other_scale({**scale, "r2": r2}):
        return None
    return (f"The uploaded teacher predicts at another scale than the target: on the test set "
            f"{scale_numbers({**scale, 'r2': r2})}. {UNITS_REMEDY} "
            "Nothing distilled from it here is meaningful until its units match (Help, “The teacher”).")


def classifier_words(test: dict, digits: int = 3) -> str:
    """A two-valued target's classification scores among a model's test scores, ``"accuracy 0.800, AUC 0.850"``
    (those present; empty for another target).

    Examples
    --------
    >>> classifier_words({"r2": 0.3, "accuracy": 0.8, "auc": 0.85}), classifier_words({"r2": 0.3})
    ('accuracy 0.800, AUC 0.850', '')
    """
    return ", ".join(f"{name} {test[key]:.{digits}f}" for key, name in (("accuracy", "accuracy"), ("auc", "AUC"))
                     if test.get(key) is not None)


def two_valued_words(bundle: dict, values) -> str:
    """The note on a target of two values (``data.two_values``): fitted as a number, and how the delivered
    student and the teacher classify.

    Examples
    --------
    >>> b = {"models": {"awd": {"test": {"accuracy": 0.8, "auc": 0.85}}}, "teacher": {"test": {"accuracy": 0.9}}}
    >>> print(two_valued_words(b, [0.0, 1.0]))  # doctest: +NORMALIZE_WHITESPACE
    The target takes two values, 0 and 1, as a class label does. Every model here fitted it as a number (the
    students by least squares), so predictions can fall outside 0 to 1, and R² and RMSE score them as numbers.
    As classifiers (predicted 1 at 0.5 or above): AWD accuracy 0.800, AUC 0.850; the teacher accuracy 0.900.
    """
    low, high = (f"{float(v):g}" for v in values)
    delivered = recommended_model(bundle)  # its figures: db5's when cross-validation kept it
    label = ("AWD" if delivered == "awd" else
             f"{(bundle.get('wavelet') or {}).get('init') or 'the initial wavelet'} (delivered)")
    parts = []
    for name, entry in ((label, (bundle.get("models") or {}).get(delivered)), ("the teacher", bundle.get("teacher"))):
        scores = classifier_words((entry or {}).get("test") or {})
        if scores:
            parts.append(f"{name} {scores}")
    middle = f"{(float(values[0]) + float(values[1])) / 2:g}"
    return (f"The target takes two values, {low} and {high}, as a class label does. Every model here fitted it as a "
            f"number (the students by least squares), so predictions can fall outside {low} to {high}, and R² and "
            "RMSE score them as numbers."
            + (f" As classifiers (predicted {high} at {middle} or above): {'; '.join(parts)}." if parts else ""))


def trust_notes(bundle: dict) -> list[dict]:
    """Notes on what to trust in a result, most important first.

    Parameters
    ----------
    bundle : dict
        A result bundle (``result.json``).

    Returns
    -------
    list of dict
        ``{"level": "danger" | "warning" | "info" | "success", "key": str, "text": str}``; keys
        ``teacher_constant`` (uploaded weights whose output is the same for every test sample) or ``teacher_units``
        (uploaded weights predicting at another scale, :func:`units_words`; then no ``weak_teacher``),
        ``weak_teacher``, ``teacher_below_baseline``, ``teacher_at_cap`` (a teacher the job trained stopped at its epoch
        limit while still improving), ``fixed_filter_leads_cv``, ``fixed_filter_level`` (maps), ``baseline_beats_awd``,
        ``awd_beats_teacher``, ``student_behind_teacher`` (the delivered student's test R² more than
        :data:`STUDENT_GAP_R2` below the teacher's), ``student_reads_beyond_ends`` (the delivered series student owes
        :data:`BEYOND_ENDS_INFLUENCE` of its influence to terms reading mostly the padding), ``student_terms_cancel``
        (the delivered series student's terms largely cancel: ``term_variance_ratio`` above :data:`CANCEL_RATIO`),
        ``student_terms_redundant`` (some of its terms are mixes of the others: ``redundancy`` at least
        :data:`REDUNDANT_R2`), ``distillation_helped`` / ``distillation_small`` / ``distillation_no_gain`` /
        ``distillation_hurt``,
        ``interpretation_helped`` / ``interpretation_small`` / ``interpretation_no_gain`` (the best point against the
        best γ = 0 point, ``verdict.interpretation_difference``), and with the teacher-free control
        (``selection.random_search``) ``awd_beats_search`` / ``awd_beats_search_small`` / ``awd_level_with_search`` /
        ``search_beats_awd`` (a ``*_small`` note for a difference its interval confirms but small,
        :func:`~models.pipeline.verdict.is_small`; ``interpretation_helped`` and ``awd_beats_search`` are "secondary",
        not "success", when no model has skill or the teacher is weak, and the former also when the data's known wavelet
        is farther from the learned one than from its start); ``teacher_chosen`` when ``teacher="auto"`` trained several
        architectures (``teacher.validation_mse``), ``series_features_chosen`` when ``series_features="auto"`` chose
        what the series student reads (``selection.series_features``; a warning when the gap is within the noise),
        ``scattering_no_skill`` when the scattering student does not beat the training mean in its own cross-validation,
        ``scattering_training_no_gain`` when its training never beat its start, ``learned_is_known`` when the learned
        wavelet is a known one (``wavelet.nearest_known`` within :data:`KNOWN_CLOSE`), ``grid_collapsed`` when every
        grid point ended at the same filter (within :data:`GRID_SAME`), ``best_at_grid_edge`` when the delivered AWD
        point has the grid's smallest or largest λ or its largest γ, ``compression_no_gain`` when the delivered AWD
        wavelet's compression factor is not below the initial wavelet's, ``selected_without_teacher`` when the delivered
        AWD point has γ = 0 (its wavelet owes nothing to the teacher), ``reference_point_without_teacher`` when that
        point has γ = 0 beside the initial wavelet delivered; ``two_valued_target`` when the target takes two
        values (a class label: fitted as a number; :func:`two_valued_words`), else ``seen_targets`` when every test
        target is one of the training split's values (:func:`seen_targets_words`); ``constant_test_target`` alone
        (after ``selected_without_teacher``) when every test target is equal (``data.test_target_sd`` 0), where every R²
        is undefined; ``few_samples`` below :data:`FEW_TEST_SAMPLES` test or :data:`FEW_TRAINING_SAMPLES` training
        samples (:func:`few_samples_words`), and then no note compares single test scores (``teacher_below_baseline``,
        ``baseline_beats_awd``, ``awd_beats_teacher``, ``student_behind_teacher``; tiled maps count whole maps);
        ``padded_traces`` when traces' ends were filled with zeros (:func:`padded_words`) and ``dropped_rows`` when rows
        with missing values were left out before training (:func:`dropped_words`); ``weak_selection_check`` when AWD was
        chosen with 3 folds or fewer or a single repeat (:func:`weak_selection_words`); ``constant_cv_folds`` when some
        cross-validation folds hold a single target value (``cv.constant_target_folds``). When the bundle has a verdict
        sentence (``verdict.text``, which states the paired interval of AWD minus the initial wavelet), the notes do not
        repeat it: no ``distillation_*`` note, and no ``baseline_beats_awd`` note for the initial wavelet.

    Examples
    --------
    >>> b = {"teacher": {"name": "cnn", "test": {"r2": -0.016}}, "models": {"awd": {"test": {"r2": 0.2}}}}
    >>> [n["key"] for n in trust_notes(b)]
    ['weak_teacher', 'awd_beats_teacher']
    """
    notes = _selected_without_teacher_notes(bundle)
    constant = _constant_test_target_notes(bundle)
    if constant:  # every R² compares against nothing: no other note follows
        return notes + constant
    for notes_of in (_sample_notes, _weak_selection_notes, _two_valued_notes, _cv_fold_notes, _teacher_notes,
                     _baseline_notes, _student_teacher_notes, _cancelling_notes, _distillation_notes, _control_notes,
                     _wavelet_notes, _choice_notes, _scattering_notes):
        notes += notes_of(bundle)
    return notes


def _best_baseline(bundle: dict) -> tuple[str, float] | None:
    """The baseline (:data:`BASELINES`) with the highest test R², as ``(key, r2)``; None without one."""
    models = bundle.get("models") or {}
    baselines = [(k, _r2(models[k])) for k in BASELINES if k in models and _r2(models[k]) is not None]
    return max(baselines, key=lambda kv: kv[1], default=None)


def _anecdotes(bundle: dict) -> bool:
    """Whether the test scores rest on fewer than :data:`FEW_TEST_SAMPLES` samples (maps for tiled maps): single
    scores compared there are anecdotes (the ``few_samples`` note), not findings."""
    return "n_test" in (bundle.get("data") or {}) and (verdict_samples(bundle) or 0) < FEW_TEST_SAMPLES


def _selected_without_teacher_notes(bundle: dict) -> list[dict]:
    """``selected_without_teacher`` when the delivered AWD point has γ = 0 (its wavelet owes nothing to the
    teacher); ``reference_point_without_teacher`` when that point has γ = 0 but the initial wavelet is delivered."""
    selected = bundle.get("selected") or {}
    if selected.get("gamma") != 0:
        return []
    if (bundle.get("selection") or {}).get("choice", "awd") != "awd":  # the initial wavelet is delivered
        # review 42B: the scores and their figure still name the best point "AWD", as if distilled from the network
        return [_note("info", "reference_point_without_teacher",
                      "The best AWD point, shown for reference (the initial wavelet is delivered), has γ = 0: its "
                      "wavelet was fitted for sparse coefficients alone, without the teacher's attributions, so its "
                      "row “AWD” in the scores is no distillation of the network.")]
    t_r2 = _r2(bundle.get("teacher"))
    return [_note("warning", "selected_without_teacher",
                  "The selected grid point has γ = 0: its wavelet was fitted for sparse coefficients "
                  "alone, without the teacher's attributions, so it shows nothing about what the network "
                  "learned (the activation maps and explanations below are of that wavelet)."
                  + (" For a wavelet distilled from the network, look at the grid's points with γ > 0."
                     if t_r2 is None or t_r2 >= WEAK_TEACHER_R2 else
                     # review 26A: pointing to the teacher's points of a teacher without skill
                     " The teacher is weak here (below), so the points with γ > 0 show little of it "
                     "either."))]


def _constant_test_target_notes(bundle: dict) -> list[dict]:
    """``constant_test_target`` when every test target is equal (``data.test_target_sd`` 0), where every R² is
    undefined; :func:`trust_notes` then adds no other note."""
    if (bundle.get("data") or {}).get("test_target_sd") != 0:
        return []
    return [_note("danger", "constant_test_target",
                  "Every test sample has the same target value, so the test R² of every model is "
                  "undefined (shown as 0) and says nothing; compare the models by RMSE, or give the data "
                  "a test split with several target values (with tiles: several maps of each "
                  "cosmology).")]


def _sample_notes(bundle: dict) -> list[dict]:
    """``few_samples`` on few training or test samples (:func:`few_samples_words`), then ``padded_traces`` when
    training traces were filled with zeros (``data.padded_rows``, :func:`padded_words`), or ``dropped_rows`` when
    rows with missing values were left out before training (``data.dropped_rows``, :func:`dropped_words`)."""
    notes = []
    data = bundle.get("data") or {}
    # tiles of one map are not independent: count whole maps where the data were tiled (review 27A: "80 training
    # and 40 test maps" for 20 and 10 maps, beside a verdict that counted 10)
    few = few_samples_words(int(data.get("train_maps") or data.get("n_train") or 0), verdict_samples(bundle) or 0,
                            "maps" if data.get("kind") == "image" else "series") if "n_test" in data else None
    if few:
        notes.append(_note("warning", "few_samples", few))
    padded = data.get("padded_rows") or {}
    dropped = data.get("dropped_rows") or {}
    if padded.get("count"):
        notes.append(_note("warning", "padded_traces", padded_words(padded, left_out=bool(dropped.get("count")))))
    if dropped.get("count"):
        notes.append(_note("warning", "dropped_rows", dropped_words(dropped, filled=bool(padded.get("count")))))
    return notes


def _weak_selection_notes(bundle: dict) -> list[dict]:
    """``weak_selection_check`` when AWD was chosen with few folds or a single repeat
    (:func:`weak_selection_words`)."""
    weak_check = weak_selection_words(bundle.get("selection") or {})
    return [_note("warning", "weak_selection_check", weak_check)] if weak_check else []


def _two_valued_notes(bundle: dict) -> list[dict]:
    """``two_valued_target`` when the target takes two values (``data.two_values``, :func:`two_valued_words`), or
    ``seen_targets`` when the test samples' targets are all values seen, repeatedly, in training
    (``data.seen_targets``, :func:`seen_targets_words`)."""
    data = bundle.get("data") or {}
    if data.get("two_values"):
        return [_note("info", "two_valued_target", two_valued_words(bundle, data["two_values"]))]
    if data.get("seen_targets"):
        return [_note("info", "seen_targets", seen_targets_words(bundle))]
    return []


def seen_targets_words(bundle: dict) -> str:
    """What the test scores measure when every test target is one of the training split's values
    (``data.seen_targets``; review 38A: nothing said the lensing example's test maps share its cosmologies; review
    42A: nor for 80 cosmologies drawn at random), and that the map students cannot predict other values when they
    classify (``method`` chi2; with more than 20 target rows, or fewer than 5 samples of one, they fit a ridge model,
    :class:`models.students.maps.PeakCountRegressor`, and that sentence is left out).

    >>> seen_targets_words({"data": {"kind": "image", "seen_targets": 10}})[:107]
    'Every test map has one of the 10 target values of the training maps (e.g. a grid or a set of cosmologies): '
    """
    data = bundle["data"]
    noun = "map" if data.get("kind") == "image" else "series"
    plural = "maps" if noun == "map" else "series"
    k = data["seen_targets"]
    text = (f"Every test {noun} has one of the {k} target values of the training {plural} (e.g. a grid or a set "
            f"of cosmologies): the test scores measure new {plural} of parameters seen in training, not parameters "
            f"between them, and a model that tells the {k} values apart can score well without interpolating.")
    student = ((bundle.get("students") or {}).get("awd") or {}).get("parameters") or {}
    if student.get("method") == "chi2":
        text += (f" The map students here pick the nearest of those {k} values (chi²), so they cannot predict any "
                 "other.")
    return text + (" To measure interpolation, hold out whole values: a file's own test split (X_test, y_test) "
                   "with values the training split lacks.")


def _cv_fold_notes(bundle: dict) -> list[dict]:
    """``tiles_in_folds`` when the cross-validation folds had to take tiles instead of whole maps
    (``cv.grouping``), then ``constant_cv_folds`` when some folds hold a single target value
    (``cv.constant_target_folds``)."""
    notes = []
    cv = bundle.get("cv") or {}
    if cv.get("grouping") == "tiles":
        notes.append(_note("warning", "tiles_in_folds",
                           "A cosmology (target row) has a single training map, so cross-validation folds of whole "
                           "maps would hold out cosmologies their training part never saw: the folds take tiles "
                           "instead, and one map's tiles may sit on both sides of a fold. The cross-validated scores "
                           "are then optimistic; the test split still holds out whole maps. Give the data two "
                           "training maps or more of each cosmology."))
    constant_folds = cv.get("constant_target_folds") or 0
    if constant_folds:
        notes.append(_note("warning", "constant_cv_folds",
                           f"{constant_folds} of the {cv['folds'] * cv['repeats']} cross-validation folds hold a "
                           "single target value (with tiles: whole maps of one cosmology). R² is undefined there; "
                           "those folds score 0, or 1 when every prediction is exact, and enter the cross-validated "
                           "scores and the selection as if measured. Give the data more maps of each cosmology."))
    return notes


def _teacher_notes(bundle: dict) -> list[dict]:
    """What the teacher is worth: ``teacher_constant`` (uploaded weights whose output is the same for every test
    sample, :func:`models.teachers.units.constant_words`) or ``teacher_units`` (uploaded weights at another scale,
    :func:`units_words`), then ``weak_teacher`` (not beside either) or ``teacher_below_baseline``, then
    ``teacher_at_cap`` (a warning after either of those two, else info)."""
    notes = []
    teacher = bundle.get("teacher") or {}
    t_r2, best = _r2(teacher), _best_baseline(bundle)
    scale = teacher.get("prediction_scale") or {}
    if scale and constant_output(scale):  # review 39A: a constant output was called weak, not constant
        notes.append(_note("danger", "teacher_constant", constant_words(
            {(bundle.get("data") or {}).get("target_name"): scale.get("mean", 0.0)})))
    elif units := units_words(teacher):
        notes.append(_note("danger", "teacher_units", units))
    if t_r2 is not None and t_r2 < WEAK_TEACHER_R2 and not notes:  # the note above says more than "weak"
        notes.append(_note("danger", "weak_teacher",
                           f"The teacher ({teacher.get('name', '?')}) is weak: test R² {t_r2:.3f} is below "
                           f"{WEAK_TEACHER_R2}{' (worse than predicting the mean)' if t_r2 < 0 else ''}. Its "
                           "attributions say little about the data, so the wavelet distilled from them is not an "
                           "explanation of anything the network learned. "
                           + ("Check that the uploaded weights fit these data (units, normalisation, target column), "
                              "or let the job train a teacher, before interpreting the wavelet."
                              if uploaded_teacher(teacher) else
                              "Train a better teacher before interpreting the wavelet.")))
    elif t_r2 is not None and best is not None and best[1] > t_r2 and not _anecdotes(bundle):
        notes.append(_note("warning", "teacher_below_baseline",
                           f"A fixed baseline, the {_name(bundle, best[0])} student (test R² {best[1]:.3f}), beats "
                           f"the teacher ({t_r2:.3f}): the teacher has not learned more than a simple statistic "
                           "captures."))
    if _teacher_at_cap(teacher):
        below = bool(notes) and notes[-1]["key"] in ("weak_teacher", "teacher_below_baseline")
        notes.append(_note("warning" if below else "info", "teacher_at_cap",
                           f"The teacher ({teacher.get('name', '?')}) trained all {teacher['epoch_cap']} epochs it was "
                           f"allowed, and its best validation loss came near the end (epoch {teacher['best_epoch']} "
                           f"of {teacher['epoch_cap']}): it stopped at the limit, not by early stopping, and may "
                           "still have been improving. More teacher epochs (“Teacher training epochs” on the "
                           "configure page, awd distill --teacher-epochs) may give a better teacher to distil."))
    return notes


def _baseline_notes(bundle: dict) -> list[dict]:
    """Baselines that may predict better than the model delivered: ``fixed_filter_leads_cv`` (the verdict's
    ``fixed_filter`` leads in cross-validation, :func:`fixed_filter_words`) or ``fixed_filter_level`` (it is level
    with AWD on the test set, :func:`_fixed_filter_level_words`), then ``baseline_beats_awd`` (the
    best baseline beats AWD on the test set; not for the initial wavelet under a verdict sentence, nor for
    another fixed filter beside ``fixed_filter_leads_cv``)."""
    notes = []
    # compared with the model delivered (review 42B: with db5's student delivered, the note set a baseline against
    # the AWD point cross-validation had not kept, then called the delivered model "still" that one)
    delivered = recommended_model(bundle)
    awd_r2, best = _r2((bundle.get("models") or {}).get(delivered)), _best_baseline(bundle)
    verdict = bundle.get("verdict") or {}
    said_by_verdict = bool(verdict.get("text"))  # the verdict sentence compares AWD with its initial wavelet
    fixed = verdict.get("fixed_filter") or {}  # maps since 2026-12-05: the best fixed filter by CV (review 28A)
    if fixed.get("leads"):
        notes.append(_note("warning", "fixed_filter_leads_cv", fixed_filter_words(bundle, fixed)))
    elif (level := _fixed_filter_level_words(bundle, fixed)) is not None:
        notes.append(_note("info", "fixed_filter_level", level))
    if best is not None and awd_r2 is not None and best[1] > awd_r2 and best[1] > 0 and not _anecdotes(bundle) and not (
            said_by_verdict and best[0] == "baseline_wavelet") and best[0] != delivered and not (
            # review 29A: beside the CV note on one fixed filter, a test-score note recommended another
            fixed.get("leads") and best[0] in FIXED_FILTER_BASELINES):  # a baseline below the mean is no advice
        checked = fixed.get("name") == best[0] and "cv_gain" in fixed  # by CV too, without a lead (above)
        notes.append(_note("warning", "baseline_beats_awd",
                           f"The {_name(bundle, best[0])} baseline beats "
                           + ("AWD" if delivered == "awd" else "the model delivered ("
                              f"{(bundle.get('wavelet') or {}).get('init', 'the initial wavelet')}'s student, the "
                              "initial wavelet, which cross-validation kept)")
                           + f" on the test set (R² {best[1]:.3f} against {awd_r2:.3f}): on these data "
                           + ("the distilled wavelet" if delivered == "awd" else "the wavelet cross-validation kept")
                           + " did not add predictive information beyond it. The model delivered is still the one "
                           "cross-validation chose "
                           "before the test set was read; to predict with the baseline instead, pick it in “Predict "
                           f"new data” (awd predict --model {best[0]}), knowing that this choice rests on the test "
                           "score"
                           + (_unbacked_lead_words(fixed) if checked else ".")))
    return notes


def _class_count(student: dict | None) -> int | None:
    """How many target rows a map student chooses between (χ² against class templates), or None for a student that
    regresses (ridge, series).

    Examples
    --------
    >>> _class_count({"parameters": {"method": "chi2", "classes": [[0.3, 0.8], [0.25, 0.9]]}})
    2
    >>> _class_count({"parameters": {"method": "ridge"}}) is None
    True
    """
    parameters = (student or {}).get("parameters") or {}
    classes = parameters.get("classes")
    return len(classes) if parameters.get("method") == "chi2" and isinstance(classes, list) and classes else None


def uploaded_words(t_r2: float) -> str:
    """Why uploaded weights, which the job did not train, may score below their student, and what to do: the
    reason a note gives for a teacher the job trained (too few epochs, too many parameters) does not apply to them.

    Examples
    --------
    >>> print(uploaded_words(-0.485))
    Likely reason: the uploaded weights, which this job did not train, predict these data poorly: check that the
    file was trained on data in the same units and normalisation as these and for this target column, or let the
    job train a teacher (“Train a built-in network” with teacher auto, the default; awd distill without --teacher
    PATH).
    """
    how = "poorly" if t_r2 < WEAK_TEACHER_R2 else "less well than a small model on a few wavelet coefficients"
    return (f"Likely reason: the uploaded weights, which this job did not train, predict these data {how}: check "
            "that the file was trained on data in the same units and normalisation as these and for this target "
            "column, or let the job train a teacher (“Train a built-in network” with teacher auto, the default; "
            "awd distill without --teacher PATH).")


def _student_teacher_notes(bundle: dict) -> list[dict]:
    """The students against their teacher: ``awd_beats_teacher`` (AWD's test R² more than :data:`MARGIN_R2`
    above the teacher's; for uploaded weights the likely reason is :func:`uploaded_words`, not the epochs), then
    ``student_behind_teacher`` (the delivered student's more than :data:`STUDENT_GAP_R2` below it). Neither on few
    test samples."""
    notes = []
    models = bundle.get("models") or {}
    teacher = bundle.get("teacher") or {}
    t_r2, awd_r2, anecdotes = _r2(teacher), _r2(models.get("awd")), _anecdotes(bundle)
    if (t_r2 is not None and awd_r2 is not None and awd_r2 > t_r2 + MARGIN_R2 and awd_r2 >= WEAK_TEACHER_R2
            and not anecdotes):
        classes = _class_count((bundle.get("students") or {}).get("awd"))
        reason = (f"Likely reason: the map student predicts one of the {classes} target rows of the training maps "
                  "(the class whose peak-count template is nearest), and the test maps come from the same rows, "
                  "while the teacher estimates the target as a number; it says nothing about maps of a target row "
                  "the training maps lack, where the student can only answer one of its classes."
                  if classes else uploaded_words(t_r2) if uploaded_teacher(teacher) else
                  "Likely reason: the teacher is under-fit (too few epochs) or over-fit (too many parameters for the "
                  "data), and the student, a small model on a few wavelet coefficients, regularises.")
        notes.append(_note("info", "awd_beats_teacher",
                           f"AWD (test R² {awd_r2:.3f}) beats its own teacher ({t_r2:.3f}). {reason} A better "
                           "teacher may change the distilled wavelet."))
    delivered = recommended_model(bundle)
    student_r2 = _r2(models.get(delivered))
    if (t_r2 is not None and student_r2 is not None and t_r2 >= WEAK_TEACHER_R2 and not units_words(teacher)
            and not anecdotes and t_r2 - student_r2 > STUDENT_GAP_R2):  # review 24B: only two numbers in two cards
        notes.append(_note("info", "student_behind_teacher",
                           f"The interpretable model explains less than the network: the model delivered here, the "
                           f"{_name(bundle, delivered)} student, has test R² {student_r2:.3f}, the teacher "
                           f"({teacher.get('name', '?')}) {t_r2:.3f}. "
                           + ("Its peak counts capture" if (bundle.get("data") or {}).get("kind") == "image"
                              else "Its few wavelet coefficients capture")
                           # review 25A: "part of" said of a student at R² 0.017, below the mean in CV
                           + (" little or nothing of what the network uses to predict." if student_r2 < WEAK_TEACHER_R2
                              else " part of what the network uses to predict, not all of it.")))
    return notes


def _beyond_ends_words(bundle: dict, name: str) -> str | None:
    """A sentence when the series student ``name`` owes :data:`BEYOND_ENDS_INFLUENCE` or more of its influence
    (``|weight| x sd`` summed) to terms that read mostly beyond the series' ends (``in_series`` below
    :data:`~models.pipeline.student_params.LOW_IN_SERIES`), else None.

    Such coefficients are small: the zero padding and a filter's near-zero taps make them, so the student's
    predictions, and its lead over another student, can rest on taps of 1e-4 (review 39B: holding the AWD
    student's 10 such terms at their mean took its test R² from 0.606 to 0.521, below db5's 0.565). Since
    2026-12-06 neither series student reads a coefficient with under 1 % of its filter on the series
    (``parameters.left_out``; docs/science.md, "Time-series student"): a student written since can still owe its
    influence to terms reading 1 % to 10 %, one written before (no ``left_out``) to any, and the remedy said differs.

    Examples
    --------
    >>> f = [{"weight": 1.0, "sd": 1.0, "in_series": 0.9}, {"weight": -600.0, "sd": 1e-3, "in_series": 0.02}]
    >>> _beyond_ends_words({"students": {"awd": {"parameters": {"features": f}}}}, "awd")[:88]
    "1 of the AWD student's 2 terms read mostly beyond the series' ends and carry 37 % of its"
    """
    params = (((bundle.get("students") or {}).get(name) or {}).get("parameters") or {})
    features = params.get("features") or []
    influence = [abs(float(f.get("weight") or 0.0)) * float(f.get("sd") or 0.0) for f in features]
    beyond = [isinstance(f.get("in_series"), (int, float)) and f["in_series"] < LOW_IN_SERIES for f in features]
    total = sum(influence)
    share = sum(i for i, b in zip(influence, beyond) if b) / total if total > 0 else 0.0
    if share < BEYOND_ENDS_INFLUENCE:
        return None
    used = ((bundle.get("provenance") or {}).get("config") or {}).get("levels")
    levels = f"this run used {used}" if isinstance(used, int) else "the configure page's Levels"
    remedy = (f"Fewer levels ({levels}) read less padding." if "left_out" in params or params.get("by") == "position"
              else f"Rerunning the job with this version leaves out the coefficients that read under 1 % of the "
                   f"series (its student read every coefficient), and fewer levels ({levels}) read less padding.")
    return (f"{sum(beyond)} of the {_name(bundle, name)} student's {len(features)} terms read mostly beyond the "
            f"series' ends and carry {100 * share:.0f} % of its influence (|weight| × SD): they are small "
            "coefficients that the zero padding and the filter's smallest taps make, so its predictions, and a "
            f"lead over another student, can rest on taps near zero. {remedy}")


def _cancelling_notes(bundle: dict) -> list[dict]:
    """``student_reads_beyond_ends`` when the delivered series student owes much of its influence to terms that read
    mostly beyond the series' ends (:func:`_beyond_ends_words`), then ``student_terms_cancel`` when its terms largely
    cancel (:func:`_cancelling_words`), then ``student_terms_redundant`` when some of its terms are mixes of the
    others (:func:`_redundant_words`)."""
    name = recommended_model(bundle)
    beyond = _beyond_ends_words(bundle, name)
    notes = [_note("warning", "student_reads_beyond_ends", beyond)] if beyond else []
    cancelling = _cancelling_words(bundle, name)
    notes += [_note("warning", "student_terms_cancel", cancelling)] if cancelling else []
    redundant = _redundant_words(bundle, name)
    return notes + ([_note("warning", "student_terms_redundant", redundant)] if redundant else [])


def _redundant_words(bundle: dict, name: str) -> str | None:
    """A sentence when some terms of the series student ``name`` are nearly linear mixes of its other terms on the
    training series (``features[].redundancy`` at least :data:`REDUNDANT_R2`): their weights are not identified.
    None otherwise, or for a bundle without the numbers.

    Examples
    --------
    >>> features = [{"label": "cD3[4]", "redundancy": 0.2}, {"label": "cA4[5]", "redundancy": 1.0},
    ...             {"label": "cD1[33]", "redundancy": 0.99937}]
    >>> print(_redundant_words({"students": {"awd": {"parameters": {"features": features}}}}, "awd"))
    ... # doctest: +NORMALIZE_WHITESPACE
    2 of the AWD student's 3 terms are nearly mixes of its other terms on the training series (R² of at least 0.99:
    cA4[5], cD1[33]): the data cannot tell their weights from those of the terms they mix, so the ridge shares the
    effect out among them. Their weights, and their ranks by |weight| × SD, are not effects to read on their own.
    """
    parameters = ((bundle.get("students") or {}).get(name) or {}).get("parameters") or {}
    features = parameters.get("features") or []
    mixed = [f for f in features if isinstance(f.get("redundancy"), int | float) and f["redundancy"] >= REDUNDANT_R2]
    if not mixed:
        return None
    # zero and symmetric modes: cA4 and cD4 of a 10-tap filter on 64 samples are 24 coefficients made from cA3's 15
    cause = (f" (in {parameters['mode']} mode a coarse level holds more coefficients than the values it is computed "
             "from, so some of them are mixes of others)" if parameters.get("mode") in ("zero", "symmetric") else "")
    listed = ", ".join(str(f.get("label", "?")) for f in mixed[:6]) + (", …" if len(mixed) > 6 else "")
    return (f"{len(mixed)} of the {_name(bundle, name)} student's {len(features)} terms "
            f"{'are' if len(mixed) > 1 else 'is'} nearly {'mixes' if len(mixed) > 1 else 'a mix'} of its other terms "
            f"on the training series (R² of at least {REDUNDANT_R2:g}: {listed}){cause}: the data cannot tell "
            f"{'their weights' if len(mixed) > 1 else 'its weight'} from those of the terms "
            f"{'they mix' if len(mixed) > 1 else 'it mixes'}, so the ridge shares the effect out among them. "
            + ("Their weights, and their ranks by |weight| × SD, are not effects to read on their own."
               if len(mixed) > 1 else
               "Its weight, and its rank by |weight| × SD, is not an effect to read on its own."))


def _distillation_notes(bundle: dict) -> list[dict]:
    """Whether the teacher's attributions helped: ``distillation_*`` (AWD against the initial wavelet, only for a
    bundle without a verdict sentence, which states that interval), then ``interpretation_*`` (the best point
    against the best γ = 0 point, :func:`_interpretation_note`)."""
    notes = []
    verdict = bundle.get("verdict") or {}
    diff = verdict.get("test_difference")
    numbers = isinstance(diff, dict) and all(isinstance(diff.get(k), (int, float)) for k in ("estimate", "low", "high"))
    if numbers and not verdict.get("text"):
        init = (bundle.get("wavelet") or {}).get("init", "the initial wavelet")
        side, interval = _paired(diff, init)
        if side == "awd" and _small(diff, bundle):
            notes.append(_note("secondary", "distillation_small",
                               f"Distillation helped, but by {SMALL_WORDS} ({interval}, entirely on the side of "
                               "AWD)."))
        elif side == "awd":
            notes.append(_note("success", "distillation_helped",
                               f"Distillation helped: {interval}, entirely on the side of AWD."))
        elif side == "other":
            notes.append(_note("warning", "distillation_hurt",
                               f"Distillation hurt: {interval}, entirely against AWD. Use {init}."))
        else:
            notes.append(_note("secondary", "distillation_no_gain",
                               f"Distillation did not measurably help: {interval}, which contains 0."))
    interpretation = _interpretation_note(bundle)
    if interpretation is not None:
        notes.append(interpretation)
    return notes


def _control_notes(bundle: dict) -> list[dict]:
    """The teacher-free control's note (``selection.random_search``, :func:`_control_note`), or ``no_control`` when
    a series result has none because its data were too few for the default."""
    selection = bundle.get("selection") or {}
    control = selection.get("random_search")
    if isinstance(control, dict) and isinstance(control.get("test_difference"), dict):
        return [_control_note(control, selection.get("awd_cv_score"), bundle)]
    if _control_was_off_by_default(bundle):  # review 29B: 800 tracks got no control, and nothing said so
        return [_note("info", "no_control",
                      f"No control without the teacher ran (on fewer than {RANDOM_SEARCH_MIN_SAMPLES} series it "
                      "is off unless asked for), so this result cannot say whether the teacher's attributions "
                      "were needed for its wavelet. To run it, set “Control: random wavelets without the teacher” to "
                      "300 on the configure page (in a terminal: awd distill --random-search 300).")]
    return []


def _wavelet_notes(bundle: dict) -> list[dict]:
    """Where the grid ended: ``learned_is_known`` (:func:`_known_wavelet_note`), then ``grid_collapsed``
    (:func:`_grid_collapsed_note`), then ``best_at_grid_edge`` (:func:`_grid_edge_note`), then
    ``compression_no_gain`` (:func:`_compression_note`)."""
    return [note for note in (_known_wavelet_note(bundle), _grid_collapsed_note(bundle), _grid_edge_note(bundle),
                              _compression_note(bundle)) if note is not None]


def _choice_notes(bundle: dict) -> list[dict]:
    """What the "auto" options chose: ``teacher_chosen`` (:func:`_teacher_choice_note`), then
    ``series_features_chosen`` (:func:`_series_features_note`)."""
    return [note for note in (_teacher_choice_note(bundle.get("teacher") or {}), _series_features_note(bundle))
            if note is not None]


def _scattering_notes(bundle: dict) -> list[dict]:
    """The scattering student's cautions: ``scattering_no_skill`` (:func:`_scattering_note`), then
    ``scattering_training_no_gain`` (:func:`_scattering_untrained_note`)."""
    return [note for note in (_scattering_note(bundle), _scattering_untrained_note(bundle)) if note is not None]


def _scattering_note(bundle: dict) -> dict | None:
    """``scattering_no_skill`` when the scattering student's own cross-validated R² (its pruning curve at the
    paths it kept) is not above 0, predicting the training mean, by one standard error; else None.

    Examples
    --------
    >>> curve = {"score": [-0.03, -0.02], "score_se": [0.01, 0.01], "chosen": 1}
    >>> b = {"scattering": {"panel": {"curve": curve}}, "models": {"scattering": {"test": {"r2": 0.008}}}}
    >>> _scattering_note(b)["text"][:80]
    'The scattering student does not beat predicting the training mean in its own cro'
    >>> _scattering_note({"scattering": {"panel": {"curve": {**curve, "score": [0.5, 0.53]}}}}) is None
    True
    """
    curve = (((bundle.get("scattering") or {}).get("panel") or {}).get("curve") or {})
    try:
        k = int(curve["chosen"])
        score, se = float(curve["score"][k]), float(curve["score_se"][k])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if score > se:
        return None
    test = _r2((bundle.get("models") or {}).get("scattering"))
    tested = f"; its test R² ({test:.3f})" if test is not None else "; its test score"
    return _note("warning", "scattering_no_skill",
                 f"The scattering student does not beat predicting the training mean in its own cross-validation "
                 f"(CV R² {score:.3f} ± {se:.3f} with the paths it kept){tested} is not evidence of skill.")


def _scattering_untrained_note(bundle: dict) -> dict | None:
    """``scattering_training_no_gain`` when no epoch of the scattering student's training beat its validation
    score before training (``scattering.best_epoch`` 0): it keeps the filters it started from, which the page
    would otherwise call trained. Else None.

    Examples
    --------
    >>> b = {"scattering": {"best_epoch": 0, "val_score": [0.531, 0.511, 0.516, 0.503]}}
    >>> _scattering_untrained_note(b)["text"][:96]
    'Training the scattering student did not improve it: its validation R² was 0.531 before training,'
    >>> _scattering_untrained_note({"scattering": {"best_epoch": 2, "val_score": [0.5, 0.51, 0.53]}}) is None
    True
    """
    section = bundle.get("scattering") or {}
    scores = section.get("val_score") or []
    if section.get("best_epoch") != 0 or len(scores) < 2:
        return None
    return _note("info", "scattering_training_no_gain",
                 f"Training the scattering student did not improve it: its validation R² was {scores[0]:.3f} "
                 f"before training, at most {max(scores[1:]):.3f} in the {len(scores) - 1} epochs after, so it "
                 "keeps the filters it started from; the filters shown are those.")


def _known_wavelet_note(bundle: dict) -> dict | None:
    """The learned wavelet by name when it is a known one, to within :data:`KNOWN_CLOSE` (``wavelet.nearest_known``)."""
    wavelet = bundle.get("wavelet") or {}
    known = wavelet.get("nearest_known")
    if not isinstance(known, dict) or not float(known.get("distance", np.inf)) < KNOWN_CLOSE:
        return None
    name, distance = known["name"], float(known["distance"])
    text = (f"The learned wavelet (the best grid point's) is essentially {name}: its ψ lies {distance:.3f} of "
            f"‖ψ_{name}‖ from {name}'s")
    if name == wavelet.get("init"):
        return _note("info", "learned_is_known", text + ", the wavelet distillation started from.")
    taps = len(wavelet.get("h") or ())
    shorter = _known_length(name) < taps  # a shorter wavelet fills only some of the learned filter's taps
    # no word on the scores: on maps a wavelet 0.027 from db5 scored R² 0.432 against db5's 0.548 (review 25B)
    return _note("info", "learned_is_known",
                 text + (" (the learned filter's other taps are near zero)." if shorter else "."))


def _known_length(name: str) -> int:
    """Taps of a PyWavelets wavelet's filters (``haar``: 2, ``db5``: 10); a large number for an unknown name."""
    try:
        return int(pywt.Wavelet(name).dec_len)
    except ValueError:
        return 10 ** 9


def _compression_note(bundle: dict) -> dict | None:
    """``compression_no_gain`` when the delivered AWD wavelet's explanation uses no fewer active coefficients than
    the initial wavelet's (compression factor not below it; review 32A: 0.920 against db5's 0.917, unremarked, on a
    page saying the attributions helped). None when the initial wavelet is delivered or a factor is missing.

    Examples
    --------
    >>> bundle = {"wavelet": {"init": "db5"}, "models": {"awd": {"compression_factor": 0.920},
    ...                                                  "baseline_wavelet": {"compression_factor": 0.917}}}
    >>> _compression_note(bundle)["text"][:66]
    "The distilled wavelet's explanation is no sparser than db5's: comp"
    """
    if (bundle.get("selection") or {}).get("choice") == "initial":
        return None
    models = bundle.get("models") or {}
    awd, initial = ((models.get(key) or {}).get("compression_factor") for key in ("awd", "baseline_wavelet"))
    if not all(isinstance(v, int | float) for v in (awd, initial)) or awd < initial:
        return None
    name = (bundle.get("wavelet") or {}).get("init") or "the initial wavelet"
    return _note("info", "compression_no_gain",
                 f"The distilled wavelet's explanation is no sparser than {name}'s: compression factor {awd:.3f} "
                 f"against {initial:.3f} (the share of the test coefficients active in the teacher's attributions; "
                 "lower is sparser). Its gain, if any, is in prediction, not in a more compact explanation.")


def _grid_edge_note(bundle: dict) -> dict | None:
    """``best_at_grid_edge`` when the delivered AWD point has the grid's smallest or largest λ, or its largest γ
    (a γ > 0 point), on a grid of at least two values of each: a better point may lie beyond (review 32A: the σ₈
    run chose the smallest λ and the largest γ, and nothing said so). None when cross-validation kept the initial
    wavelet, for a point inside the grid, or when every grid point ended at the same filter
    (:func:`_collapsed_spread`). An edge counts only where cross-validation still climbs towards it: the best point
    leads its neighbour inside the grid (the next λ or γ in) by more than a standard error of its CV score
    (:func:`_climbs_to_edge`; review 51D: on a flat surface, a lead of 1e-6 with a fold SD of 7e-5 drew "a better
    point may lie beyond it")."""
    grid, selected = bundle.get("grid") or [], bundle.get("selected") or {}
    lam, gam = selected.get("lambda"), selected.get("gamma")
    if (bundle.get("selection") or {}).get("choice") == "initial" or not all(
            isinstance(v, int | float) for v in (lam, gam)):
        return None
    lambdas = sorted({float(p["lambda"]) for p in grid if isinstance(p.get("lambda"), int | float)})
    gammas = sorted({float(p["gamma"]) for p in grid if isinstance(p.get("gamma"), int | float)})
    if len(lambdas) < 2 or len(gammas) < 2 or _collapsed_spread(bundle) is not None:
        return None  # every point ended at one filter: λ and γ made no difference, beyond the edge neither (39B)
    edges = []
    if lam == lambdas[0] and _climbs_to_edge(bundle, lambdas[1], gam):
        edges.append(f"the smallest λ ({lam:g}; try values below it)")
    elif lam == lambdas[-1] and _climbs_to_edge(bundle, lambdas[-2], gam):
        edges.append(f"the largest λ ({lam:g}; try values above it)")
    if gam > 0 and gam == gammas[-1] and _climbs_to_edge(bundle, lam, gammas[-2]):
        edges.append(f"the largest γ ({gam:g}; try values above it)")
    if not edges:
        return None
    return _note("info", "best_at_grid_edge",
                 f"The best grid point sits at the edge of the grid: {' and '.join(edges)}. A better point may lie "
                 "beyond it; the configure page's λ and γ values (awd distill --lambdas, --gammas) extend the grid.")


def _climbs_to_edge(bundle: dict, lam: float, gam: float) -> bool:
    """Whether the best grid point's CV score leads that of the point at (``lam``, ``gam``), its neighbour inside
    the grid, by more than one standard error of the best point's CV score (its fold SD over the root of the number
    of splits: the pair's folds are the same, so their difference varies less, and the test errs towards saying
    nothing); True when a score is missing (bundles that did not keep them).

    Examples
    --------
    >>> grid = [{"lambda": 0.1, "gamma": 1.0, "cv_score": 0.999148, "cv_score_sd": 7e-5},
    ...         {"lambda": 0.1, "gamma": 0.1, "cv_score": 0.999147, "cv_score_sd": 7e-5}]
    >>> bundle = {"grid": grid, "selected": {"index": 0}, "selection": {"folds": 5, "repeats": 3}}
    >>> _climbs_to_edge(bundle, 0.1, 0.1)
    False
    >>> grid[1]["cv_score"] = 0.9985
    >>> _climbs_to_edge(bundle, 0.1, 0.1)
    True
    """
    grid, selection = bundle.get("grid") or [], bundle.get("selection") or {}
    index = (bundle.get("selected") or {}).get("index")
    best = grid[index] if isinstance(index, int) and 0 <= index < len(grid) else {}
    inside = next((p for p in grid if p.get("lambda") == lam and p.get("gamma") == gam), {})
    splits = (selection.get("folds") or 0) * (selection.get("repeats") or 1)
    values = (best.get("cv_score"), best.get("cv_score_sd"), inside.get("cv_score"))
    if not all(isinstance(v, int | float) for v in values) or splits < 2:
        return True
    score, sd, neighbour = values
    return bool(score - neighbour > sd / np.sqrt(splits))


def _collapsed_spread(bundle: dict) -> float | None:
    """How far the farthest grid point's filter ended from the best one's, relative to the best one's norm, when
    that is below :data:`GRID_SAME` (every point ended at the same filter); None otherwise."""
    grid = bundle.get("grid") or []
    index = (bundle.get("selected") or {}).get("index")
    if len(grid) < 2 or not isinstance(index, int) or not 0 <= index < len(grid):
        return None
    filters = [np.asarray(point.get("h", ()), dtype=float) for point in grid]
    best = filters[index]
    if best.size == 0 or any(h.shape != best.shape for h in filters):
        return None
    spread = max(float(np.linalg.norm(h - best)) for h in filters) / max(float(np.linalg.norm(best)), 1e-300)
    return spread if spread < GRID_SAME else None


def _grid_collapsed_note(bundle: dict) -> dict | None:
    """A warning when every grid point ended at the best point's filter, to within :data:`GRID_SAME`, with the epochs
    the best point ran (``history.epoch``). That λ and γ made no difference on the data is said only when the run was
    not short (at least the default preset's epochs for the data kind, or stopped early) and the best filter moved
    :data:`GRID_MOVED_LITTLE` or more from its start (:func:`_moved_from_start`); otherwise few epochs or a small γ
    explain the collapse as well (review 42B).

    Examples
    --------
    >>> db5 = list(pywt.Wavelet("db5").rec_lo)
    >>> b = {"data": {"kind": "timeseries"}, "wavelet": {"init_h": db5}, "selected": {"index": 0},
    ...      "history": {"epoch": [1, 2, 3]}, "provenance": {"config": {"epochs": 3}},
    ...      "grid": [{"h": [1.027 * v for v in db5]}, {"h": [1.0284 * v for v in db5]}]}
    >>> print(_grid_collapsed_note(b)["text"])
    Every one of the 2 grid points ended at the same filter after 3 epochs (the farthest 0.14 % from the best one's,
    which moved 2.7 % from its start): 3 epochs are fewer than the 50 of the default grid and the filters moved
    little, so more epochs or a larger γ may still separate them. Until a run shows that, the choice between the grid
    points says nothing about λ and γ, nor about the data.
    """
    grid = bundle.get("grid") or []
    spread = _collapsed_spread(bundle)
    if spread is None:
        return None
    history = bundle.get("history") or {}
    config = (bundle.get("provenance") or {}).get("config") or {}
    epochs = len(history.get("epoch") or ()) or config.get("epochs")
    allowed = config.get("epochs") or epochs
    default = GRID_PRESETS.get((bundle.get("data") or {}).get("kind"), {}).get(GridPreset.DEFAULT.value, {}).get(
        "epochs")
    moved = _moved_from_start(bundle)
    ran = f" after {epochs} epoch{'s' * (epochs != 1)}" if isinstance(epochs, int) else ""
    start = f", which moved {100 * moved:.2g} % from its start" if moved is not None else ""
    text = (f"Every one of the {len(grid)} grid points ended at the same filter{ran} (the farthest "
            f"{100 * spread:.2g} % from the best one's{start})")
    why = []
    # stopped early by the validation loss: more epochs were not wanted, so only the move can leave the doubt
    if isinstance(epochs, int) and isinstance(default, int) and epochs < default and epochs >= (allowed or 0):
        why.append(f"{epochs} epoch{'s are' if epochs != 1 else ' is'} fewer than the {default} of the default grid")
    if moved is not None and moved < GRID_MOVED_LITTLE:
        why.append("the filters moved little")
    if why:
        return _note("warning", "grid_collapsed",
                     f"{text}: {' and '.join(why)}, so more epochs or a larger γ may still separate them. Until a run "
                     "shows that, the choice between the grid points says nothing about λ and γ, nor about the data.")
    return _note("warning", "grid_collapsed",
                 f"{text}: λ and γ made no difference on this data, so the choice between the grid points says "
                 "nothing about them.")


def _moved_from_start(bundle: dict) -> float | None:
    """How far the best grid point's filter ended from the filter it started from (its search start ``start_h``, else
    ``wavelet.init_h``), relative to that start's norm; None when the bundle lacks either."""
    grid = bundle.get("grid") or []
    index = (bundle.get("selected") or {}).get("index")
    if not isinstance(index, int) or not 0 <= index < len(grid):
        return None
    start = np.asarray(grid[index].get("start_h") or (bundle.get("wavelet") or {}).get("init_h") or (), dtype=float)
    h = np.asarray(grid[index].get("h", ()), dtype=float)
    if start.size == 0 or h.shape != start.shape:
        return None
    return float(np.linalg.norm(h - start)) / max(float(np.linalg.norm(start)), 1e-300)


def _series_features_note(bundle: dict) -> dict | None:
    """What ``series_features="auto"`` made the series student read and why (``selection.series_features``)."""
    choice = (bundle.get("selection") or {}).get("series_features")
    if not isinstance(choice, dict) or not isinstance(choice.get("initial_cv_r2"), dict):
        return None
    scores = choice["initial_cv_r2"]
    if choice.get("chosen") not in scores or len(scores) < 2:
        return None
    words = {"largest": "each band's largest coefficients, wherever they sit",
             "positions": "the coefficients at fixed positions of each band"}
    other = next(kind for kind in scores if kind != choice["chosen"])
    digits = 3  # enough digits to tell the two apart (review 14: "better (R² 0.288) than … (0.288)")
    while digits < 6 and f"{scores[choice['chosen']]:.{digits}f}" == f"{scores[other]:.{digits}f}":
        digits += 1
    text = (f"The series student reads {words.get(choice['chosen'], choice['chosen'])}: at the initial wavelet "
            f"they cross-validated better (R² {scores[choice['chosen']]:.{digits}f}) than "
            f"{words.get(other, other)} ({scores[other]:.{digits}f}).")
    se = choice.get("difference_se")
    gap = abs(scores[choice["chosen"]] - scores[other])
    if isinstance(se, int | float) and gap < se:  # two runs on the same data chose differently (a 0.003 gap)
        return _note("warning", "series_features_chosen",
                     f"{text} The gap ({gap:.3f}) is within cross-validation's noise (standard error {se:.3f}): "
                     "on other splits or seeds the other choice can win, and every score of the result moves with "
                     "it. To compare both, run again with “Series student reads” set to each on the configure page "
                     "(awd distill --series-features largest, then positions).")
    return _note("info", "series_features_chosen", text)


def _teacher_choice_note(teacher: dict) -> dict | None:
    """Which architecture ``teacher="auto"`` kept and why (``teacher.validation_mse``), or None."""
    validation = teacher.get("validation_mse")
    if not isinstance(validation, dict) or len(validation) < 2 or teacher.get("name") not in validation:
        return None
    stopped = teacher.get("stopped_behind") or {}

    def other(name, mse):
        if name in stopped:
            return f"the {name} {mse:.3g}, stopped after {stopped[name]} epochs, more than ten times behind"
        return f"the {name} {mse:.3g}"

    others = ", ".join(other(name, mse) for name, mse in validation.items() if name != teacher["name"])
    return _note("info", "teacher_chosen",
                 f"The teacher is the {teacher['name']}: of the architectures trained on this data it predicted "
                 f"held-out training samples best (validation MSE on standardised targets "
                 f"{validation[teacher['name']]:.3g}; {others}).")


def _teacher_at_cap(teacher: dict) -> bool:
    """Whether the bundle's teacher, trained by the job, stopped at its epoch limit while still improving."""
    facts = [teacher.get(k) for k in ("epochs_run", "epoch_cap", "best_epoch")]
    return all(isinstance(v, int) for v in facts) and still_improving_at_cap(*facts)


def _paired(diff: dict, other: str, other_noun: str | None = None) -> tuple[str, str]:
    """Which side a paired test interval of AWD minus ``other`` is on (``"awd"``, ``"other"`` or ``"level"``, the
    metric's direction taken into account: higher R², lower RMSE), and the interval in words (an RMSE difference
    with "lower (better)" or "higher (worse)" than ``other_noun``'s, ``other`` by default).

    Examples
    --------
    >>> _paired({"metric": "rmse", "estimate": -0.004, "low": -0.006, "high": -0.002}, "search", "the search")[1]
    "AWD's test RMSE is 0.00400 lower (better) than the search's, 95 % paired bootstrap interval of AWD − search
    -0.00600 to -0.00200"
    """
    metric = diff.get("metric", "r2")
    what = "R²" if metric == "r2" else "RMSE"
    pct = f"{100 * float(diff.get('level', 0.95)):.0f} %"
    number = difference_number(diff, metric)  # the verdict's digits

    if metric == "r2":
        interval = (f"AWD − {other} = {number(diff['estimate'])} test {what}, {pct} paired bootstrap interval "
                    f"{number(diff['low'])} to {number(diff['high'])}")
    else:
        interval = (f"{rmse_difference_words(diff['estimate'], number, other_noun or other, what)}, {pct} paired "
                    f"bootstrap interval of AWD − {other} {number(diff['low'])} to {number(diff['high'])}")
    return interval_side(diff["low"], diff["high"], metric), interval


def _control_was_off_by_default(bundle: dict) -> bool:
    """Whether a series result has no teacher-free control because its data were too few for the default
    (:func:`models.options.resolve_random_search`), not because it was asked for 0 or for maps."""
    data = bundle.get("data") or {}
    n = (data.get("n_train") or 0) + (data.get("n_test") or 0)
    resolved = ((bundle.get("provenance") or {}).get("config") or {}).get("random_search")
    return (data.get("kind") == "timeseries" and 0 < n < RANDOM_SEARCH_MIN_SAMPLES and resolved == 0
            and "random_search" not in (bundle.get("selection") or {}))


def share_words(count: float, total: float) -> str:
    """``count`` of ``total`` as a percentage that does not round a few to 0 or most to all (review 42C: "3 of 1000
    rows (0 %)"): one decimal below 10 % and above 99 %, "under 0.1 %" or "over 99.9 %" beyond those, whole numbers
    between (a trailing ".0" dropped).

    Examples
    --------
    >>> [share_words(c, 1000) for c in (0, 3, 40, 98, 589, 997, 1000)], share_words(4, 99_700)
    (['0 %', '0.3 %', '4 %', '9.8 %', '59 %', '99.7 %', '100 %'], 'under 0.1 %')
    """
    share = 100 * count / total
    if 0 < share < 0.05:
        return "under 0.1 %"
    if 99.95 < share < 100:
        return "over 99.9 %"
    if 0 < share < 9.95 or 99 < share < 100:
        return f"{share:.1f}".removesuffix(".0") + " %"
    return f"{share:.0f} %"


def padded_words(padded: dict, left_out: bool = False) -> str:
    """The note on the traces whose ends were filled with zeros (``data.padded_rows``, counted over the file's rows,
    training and test alike; review 29B: the activation map of a test trace peaked where its fill began);
    ``left_out``: rows were also left out (``data.dropped_rows``), so the count is over the traces kept.

    Examples
    --------
    >>> padded_words({"count": 768, "of": 800, "shortest": 9, "length": 60})[:90]
    "768 of the file's 800 traces (96 %) ended early and were filled with zeros up to 60 values"
    """
    share = f" ({share_words(padded['count'], padded['of'])})" if padded.get("of") else ""
    # review 33B: "180 of 600 training traces" for a run that trained on 480 of the file's 600
    whose = "the" if left_out else "the file's"  # both remedies: counted over the rows kept, not the file's
    return (f"{padded['count']} of {whose} {padded.get('of', '?')} traces{share} ended early and were filled with "
            f"zeros up to {padded.get('length', '?')} values (the shortest had {padded.get('shortest', '?')} values). "
            "Where "
            "a trace drops to exactly 0 its fill begins: that drop tells the teacher and the students how long the "
            "trace was, and they can learn its length rather than its shape (look for weight at the traces' ends "
            "in the activation maps). Where you can, cut the traces to a common window, or align them on an event, "
            "before distilling. New traces are filled the same way when predicted.")


#: The option that fills the ends of traces that ended early, as every interface names it.
PAD_ENDS_OPTION = ("the pad-ends option (awd distill --pad-ends, pad_ends=true in the API, “Fill the ends with zeros” "
                   "on the upload page)")


def dropped_words(dropped: dict, filled: bool = False) -> str:
    """The note on the rows with missing values left out when the file was read (``data.dropped_rows``: the upload's
    "leave out the rows with missing values"). Review 38: 589 of 2000 traces ended early and were left out, said
    only in the provenance, while filled ends had a caution; traces that end early are often another population
    (abortive events), which the model then has not seen.

    Examples
    --------
    >>> dropped_words({"count": 589, "of": 2000})[:97]
    '589 of 2000 rows (29 %) with missing values were left out before training: the model has not seen'
    >>> dropped_words({"count": 1})[:40]
    '1 row with missing values was left out b'
    >>> dropped_words({"count": 2, "of": 50}, filled=True)[-61:]
    'kept, their ends filled with zeros (see the note on filling).'
    >>> said = dropped_words({"count": 3, "of": 50})  # why each row was left out is not recorded: both remedies
    >>> "awd distill --pad-ends, pad_ends=true in the API" in said, "filling the ends cannot keep it" in said
    (True, True)
    """
    count, total = int(dropped["count"]), dropped.get("of")
    rows = f"{count} of {total} rows ({share_words(count, total)})" if total else f"{count} row{'s' * (count > 1)}"
    if filled:  # both remedies: the rows left out had a gap, no target or text; the ended traces were kept
        return (f"{rows} with missing values {'was' if count == 1 else 'were'} left out before training (a gap "
                "inside a trace, no target, or a cell that is not a number): the model has not seen them. The traces "
                "that merely ended early were kept, their ends filled with zeros (see the note on filling).")
    return (f"{rows} with missing values {'was' if count == 1 else 'were'} left out before training: "
            "the model has not seen traces like them. Where a row's only missing values came after its trace's last "
            "value (a trace that ended early, e.g. an abortive event, which may differ from the others), its scores "
            f"and explanations do not apply to such traces; to keep them, distil again with {PAD_ENDS_OPTION}, or "
            "cut every trace to a common window. Where a row had a gap inside its trace, no target or a cell that "
            "is not a number, filling the ends cannot keep it: fill those values in first (e.g. interpolate the "
            "gaps).")


def _unbacked_lead_words(check: dict) -> str:
    """The end of the test-score note on a fixed filter that cross-validation does not back (the verdict's
    ``fixed_filter`` without ``leads``): which of its two conditions failed.

    Examples
    --------
    >>> _unbacked_lead_words({"cv_gain": 0.02, "cv_gain_se": 0.05})[:80]
    '. In cross-validation on the training maps it does not lead the model delivered '
    """
    gain, se = check["cv_gain"], check["cv_gain_se"]
    if gain > FIXED_FILTER_SES * se:  # the best of the fixed filters leads, the choice among them does not
        return (f". In cross-validation on the training maps its lead over the model delivered (CV R² {gain:+.3f}, SE "
                f"{se:.3f}) is within what picking the best of the fixed filters gives by chance (chosen without "
                f"each fold's scores, they gain {check.get('search_cv_gain', float('nan')):+.3f}, SE "
                f"{check.get('search_cv_gain_se', float('nan')):.3f}), so its lead here may be the test split's "
                "chance.")
    return (f". In cross-validation on the training maps it does not lead the model delivered by more than two "
            f"standard errors (CV R² {gain:+.3f}, SE {se:.3f}), so its lead here may be the test split's chance.")


def _fixed_filter_level_words(bundle: dict, check: dict) -> str | None:
    """Maps: when AWD is delivered and the best fixed filter by cross-validation (the verdict's ``fixed_filter``)
    neither leads it there nor differs from it on the test set, the words that say so, else None (review 38A: AWD
    beat db5 in green, and nothing said that the Roberts cross was level with it, −0.0021 [−0.0054, +0.0012]).

    Examples
    --------
    >>> check = {"name": "roberts_cross", "delivered": "awd", "leads": False, "test_difference": {
    ...          "estimate": -0.0021, "low": -0.0054, "high": 0.0012, "level": 0.95, "metric": "rmse"}}
    >>> _fixed_filter_level_words({"data": {"target_name": "Omega_m"}}, check)[:72]
    'The best fixed filter by cross-validation, the Roberts-cross student, is'
    """
    diff = check.get("test_difference") or {}
    if check.get("delivered") != "awd" or check.get("leads") or not {"estimate", "low", "high"} <= set(diff):
        return None
    name = _name(bundle, check["name"])
    side, interval = _paired({"metric": "rmse", **diff}, name, f"the {name} student")
    if side != "level":
        return None
    return (f"The best fixed filter by cross-validation, the {name} student, is level with AWD on the test set "
            f"({interval}): on these maps the learned wavelet's student does not predict better than a fixed "
            "filter's.")


def fixed_filter_words(bundle: dict, check: dict) -> str:
    """The note when a fixed-filter baseline leads the model delivered in cross-validation (the verdict's
    ``fixed_filter``, maps only): both CV scores, the paired gain and its standard error, and the paired test
    interval of the delivered model minus the baseline.

    Examples
    --------
    >>> check = {"name": "peak_heights", "delivered": "baseline_wavelet", "cv_score": 0.588,
    ...          "delivered_cv_score": 0.119, "cv_gain": 0.469, "cv_gain_se": 0.12, "test_difference": {
    ...          "estimate": -0.004, "low": -0.009, "high": 0.001, "level": 0.95, "metric": "rmse"}}
    >>> fixed_filter_words({"wavelet": {"init": "db5"}}, check)[:157]
    'In cross-validation on the training maps, the raw-peak student (CV R² 0.588) leads the model delivered, the
    initial wavelet (db5) student (CV R² 0.119), by 0'
    """
    name, delivered = check["name"], check["delivered"]
    diff = check["test_difference"]
    number = difference_number(diff, "rmse")

    side = interval_side(diff["low"], diff["high"], "rmse")
    # review 29A: say whether the test set backs the CV lead, and which way the interval is taken
    test = {"other": "backs it", "awd": "contradicts it", "level": "does not confirm it"}[side]
    way = ("equal to" if diff["estimate"] == 0 else
           f"{number(abs(diff['estimate']))} {'higher (worse)' if diff['estimate'] > 0 else 'lower (better)'} than")
    what = f" of {bundle['data']['target_name']}" if (bundle.get("data") or {}).get("target_name") else ""
    n_test = verdict_samples(bundle)
    few = (f", on only {n_test} test maps" if isinstance(n_test, int) and n_test < FEW_TEST_SAMPLES else "")
    students = bundle.get("students") or {}

    def channels(key):
        return len(((students.get(key) or {}).get("parameters") or {}).get("channels") or [])

    size = (f" The {_name(bundle, delivered)} student reads {channels(delivered)} responses at each peak and the "
            f"fixed filter's {channels(name)}, so the gap may come from the students' sizes as well as the filters."
            if channels(delivered) and channels(name) and channels(delivered) != channels(name) else "")
    return (f"In cross-validation on the training maps, the {_name(bundle, name)} student (CV R² "
            f"{check['cv_score']:.3f}) leads the model delivered, the {_name(bundle, delivered)} student (CV R² "
            f"{check['delivered_cv_score']:.3f}), by {check['cv_gain']:.3f}, more than twice its standard error "
            f"({check['cv_gain_se']:.3f}), also when the fixed filter is chosen without each fold's scores: on these "
            f"maps it may predict the target better than the model delivered.{size} The test set {test}: the "
            f"delivered model's RMSE{what} is {way} the baseline's ({100 * float(diff.get('level', 0.95)):.0f} % "
            f"paired bootstrap interval of delivered − baseline {number(diff['low'])} to {number(diff['high'])}"
            f"{few}). To predict with the baseline, pick it in “Predict new data” (awd predict --model {name}).")


def _cancelling_words(bundle: dict, name: str) -> str | None:
    """A sentence when the series student ``name``'s terms largely cancel one another: their variances on the
    training series add up to more than :data:`CANCEL_RATIO` times the variance of their sum
    (``parameters.term_variance_ratio``), so single weights are not effects. None otherwise, or for a bundle
    without the number.

    Examples
    --------
    >>> b = {"students": {"awd": {"parameters": {"term_variance_ratio": 41.6, "features": [{}] * 30}}}}
    >>> _cancelling_words(b, "awd")[:116]
    "The AWD student's terms largely cancel one another: the variances of its 30 terms add up to 42 times the variance
    of"
    """
    parameters = ((bundle.get("students") or {}).get(name) or {}).get("parameters") or {}
    ratio = parameters.get("term_variance_ratio")
    if not isinstance(ratio, (int, float)) or ratio <= CANCEL_RATIO:
        return None
    n_terms = len(parameters.get("features") or [])
    return (f"The {_name(bundle, name)} student's terms largely cancel one another: the variances of its "
            f"{n_terms} terms add up to {ratio:.0f} times the variance of its predictions on the training series. "
            "Coefficients that move together enter with large weights of opposite signs, so no single term's "
            "weight is an effect to read on its own; read the model as a whole, by its predictions and the "
            "activation maps.")


def _small(diff: dict, bundle: dict) -> bool:
    """Whether a paired difference of AWD (the best grid point) minus another model is small
    (:func:`~models.pipeline.verdict.is_small`)."""
    metric = diff.get("metric", "r2")
    awd = (((bundle.get("models") or {}).get("awd") or {}).get("test") or {}).get(metric)
    return is_small(diff["estimate"], metric, awd, (bundle.get("data") or {}).get("test_target_sd"))


def _interpretation_note(bundle: dict) -> dict | None:
    """Did the teacher's attributions (γ > 0) give a better wavelet than sparsity alone (the best γ = 0 point)? Help's
    rule: trust the distilled wavelet only where it beats the γ = 0 column too (review 19: on the CME example AWD
    and AWD (γ = 0) were level on three seeds, and nothing said so). The γ = 0 points never read the teacher: their
    start search descends the sparsity term (:mod:`models.start_search`). None without the interval (the best point
    has γ = 0, or a bundle from before it)."""
    diff = (bundle.get("verdict") or {}).get("interpretation_difference")
    if not isinstance(diff, dict) or (bundle.get("selection") or {}).get("choice") == "initial":
        return None
    side, interval = _paired(diff, "AWD (γ = 0)", "the γ = 0 point")
    gamma = (bundle.get("selected") or {}).get("gamma")
    point = f"the best point (γ = {gamma:g})" if isinstance(gamma, (int, float)) else "the best point"
    if side == "awd" and _small(diff, bundle):  # measurable, but not worth a green box (review 24B)
        return _note("secondary", "interpretation_small",
                     f"With the teacher's attributions, {point} beats the best γ = 0 point, found without the "
                     f"teacher, for sparsity alone ({interval}), but by {SMALL_WORDS}; the two wavelets predict "
                     "alike.")
    if side == "awd" and (caveat := _no_skill_caveat(bundle) or _farther_from_truth_caveat(bundle)
                          or _same_filter_caveat(bundle)):
        # review 32B: a green "helped" on shuffled targets, and on data made with db5 from a wavelet that moved away
        return _note("secondary", "interpretation_helped",
                     f"With the teacher's attributions, {point} beats the best γ = 0 point, found without the "
                     f"teacher, for sparsity alone ({interval}), but {caveat}")
    if side == "awd":
        return _note("success", "interpretation_helped",
                     f"The teacher's attributions helped: {point} beats the best γ = 0 point, found without the "
                     f"teacher, for sparsity alone ({interval}).")
    outcome = ("did worse than" if side == "other" else "does not beat")
    return _note("warning", "interpretation_no_gain",
                 f"The teacher's attributions did not help: {point} {outcome} the best γ = 0 "
                 f"point, found without the teacher, for sparsity alone ({interval}). By the rule in Help "
                 "(“When to trust a result”), this wavelet shows no more of what the network learned than a "
                 "sparse one does.")


def _same_filter_caveat(bundle: dict) -> str | None:
    """Why a lead of the best point over the best γ = 0 point says nothing of the attributions when every grid point
    ended at the same filter (:func:`_collapsed_spread`): the students then differ, not the wavelets (review 39B:
    a green "the teacher's attributions helped" beside "λ and γ made no difference", for filters 0.066 % apart).
    None otherwise."""
    spread = _collapsed_spread(bundle)
    if spread is None:
        return None
    return (f"every grid point ended at the same filter (within {100 * spread:.2g} %), so the difference comes from "
            "the students fitted on nearly the same wavelet, not from what the attributions changed in it.")


def _no_skill_caveat(bundle: dict) -> str | None:
    """Why a lead of AWD over another model says nothing of the teacher's attributions here, or None: no model
    predicts the target (the verdict's ``no_skill``), or the teacher is weak (test R² below
    :data:`WEAK_TEACHER_R2`). The words end a sentence.

    Examples
    --------
    >>> _no_skill_caveat({"teacher": {"test": {"r2": 0.02}}})[:60]
    'the teacher is weak here (test R² 0.020): a lead among model'
    >>> _no_skill_caveat({"teacher": {"test": {"r2": 0.8}}}) is None
    True
    """
    t_r2 = _r2(bundle.get("teacher"))
    reason = ("no model here predicts the target usefully (the verdict above)" if (bundle.get("verdict") or {}).get(
        "no_skill") else f"the teacher is weak here (test R² {t_r2:.3f})" if t_r2 is not None
        and t_r2 < WEAK_TEACHER_R2 else None)
    if reason is None:
        return None
    return (f"{reason}: a lead among models with little or no skill is not evidence that the teacher's "
            "attributions led to a better wavelet.")


def _farther_from_truth_caveat(bundle: dict) -> str | None:
    """For data made with a known wavelet (``wavelet.true_wavelet``): the words that say the best point's wavelet
    ended farther from it than its start, or None (closer, or no truth known). The words end a sentence.

    Examples
    --------
    >>> wavelet = {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.304, "init_distance_to_truth": 0.213}
    >>> _farther_from_truth_caveat({"wavelet": wavelet})[:68]
    'this dataset was made with db5 and the learned wavelet ended farther'
    """
    wavelet = bundle.get("wavelet") or {}
    end, start = wavelet.get("distance_to_truth"), wavelet.get("init_distance_to_truth")
    if not wavelet.get("true_wavelet") or not all(isinstance(v, int | float) for v in (end, start)) or end <= start:
        return None
    return (f"this dataset was made with {wavelet['true_wavelet']} and the learned wavelet ended farther from it "
            f"than its start {wavelet.get('init') or 'the initial wavelet'} ({end:.3g} against {start:.3g}, the "
            "distance between ψs): the attributions led to a wavelet this student reads well, not to the one that "
            "made the data.")


def _control_note(control: dict, awd_cv_score=None, bundle=None) -> dict:
    """What the teacher-free control says: did distillation (the teacher's attributions, from the initial
    wavelet) lead to a better wavelet than a search of random wavelets scored by the student alone? When the
    two are level on the test set but the search is ahead on both the test estimate and the cross-validated
    score, the note says so (a user saw "level" on five runs the search led on every score shown)."""
    diff = control["test_difference"]
    side, interval = _paired(diff, "search", "the search")
    search = (f"the best of {control['n']} random orthogonal wavelets chosen by the student's cross-validation "
              "alone, without the teacher")
    if side == "awd" and bundle is not None and _small(diff, bundle):
        return _note("secondary", "awd_beats_search_small",
                     f"AWD (the best grid point) beats {search} ({interval}), but by {SMALL_WORDS}.")
    if side == "awd" and bundle is not None and awd_significantly_worse(bundle.get("verdict"),
                                                                        verdict_samples(bundle)):
        # review 26A: a green "Distillation beat a search" under "AWD is worse than db5"
        initial = (bundle.get("wavelet") or {}).get("init") or "the initial wavelet"
        return _note("secondary", "awd_beats_search",
                     f"AWD (the best grid point) beats {search} ({interval}), but both do worse than {initial}'s "
                     "student on the test set (the verdict above).")
    if side == "awd" and bundle is not None and (caveat := _no_skill_caveat(bundle)):
        # review 32B: a green "Distillation beat a search" on shuffled targets: the search's best of 300 had fitted
        # the noise, and a lead over it said nothing of the teacher
        return _note("secondary", "awd_beats_search", f"AWD (the best grid point) beats {search} ({interval}), but "
                                                      f"{caveat}")
    if side == "awd":
        return _note("success", "awd_beats_search",
                     f"Distillation beat a search without the teacher: AWD (the best grid point) beats {search} "
                     f"({interval}).")
    if side == "other":
        return _note("warning", "search_beats_awd",
                     f"A search without the teacher did better: {search} beats AWD ({interval}). Here the "
                     "teacher's attributions did not lead to the wavelet this student reads best; the searched "
                     "wavelet is in the scores table, but it explains the labels, not the network.")
    ahead = ""
    search_cv = control.get("cv_score")
    digits = 3  # as many decimals as tell the two scores apart (review 26A: "-0.003 against AWD's -0.003")
    while (digits < 8 and isinstance(search_cv, (int, float)) and isinstance(awd_cv_score, (int, float))
           and f"{search_cv:.{digits}f}" == f"{awd_cv_score:.{digits}f}"):
        digits += 1
    # a tie leads neither way (review 39D: an RMSE difference of exactly 0 read "the search leads")
    search_leads = diff["estimate"] != 0 and (diff["estimate"] < 0) == (diff.get("metric", "r2") == "r2")
    if (search_leads and isinstance(search_cv, (int, float)) and isinstance(awd_cv_score, (int, float))
            and search_cv > awd_cv_score):
        ahead = (f" The search leads on both numbers shown, though: on the test estimate, and in cross-validation "
                 f"on the training data (score {search_cv:.{digits}f} against AWD's {awd_cv_score:.{digits}f}; "
                 "the best of "
                 f"{control['n']} is picked on that score, which flatters it). These numbers do not establish "
                 "that it is the better wavelet for this student (the test interval contains 0); AWD is the one "
                 "distilled from the network.")
    return _note("secondary", "awd_level_with_search",
                 f"AWD is level with {search} ({interval}, which contains 0): this data does not show whether the "
                 "teacher's attributions help the student beyond what a search on the labels finds." + ahead)
