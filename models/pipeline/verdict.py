"""Saying in words whether distillation helped: the verdict sentence and the warnings of a result."""

import numpy as np

from awd_studio.models import filters as _filters

__all__ = ["verdict_text", "format_difference", "difference_number", "rmse_difference_words", "warnings_of",
           "distance_to", "STUDENT_NAMES",
           "N_BOOT", "SMALL_SHARE", "SMALL_RELATIVE", "is_small", "SMALL_WORDS", "awd_significantly_worse",
           "interval_side", "FEW_TEST_SAMPLES", "FIXED_FILTER_SES", "NO_SKILL_R2", "no_skill_words",
           "verdict_samples",
           "distillation_helped", "teacher_part_words", "helped_by_the_teacher", "TEACHER_UNFIT", "WEAK_TEACHER_R2",
           "uploaded_teacher", "weak_teacher_words", "verdict_with_teacher"]

#: How many standard errors both CV gains of a fixed filter over the model delivered must exceed before a note says it
#: leads (models.pipeline.finalize's fixed-filter check). Review 29A (real repeated CV of least-squares students,
#: three baselines and the delivered model all equal, 2000 runs): at one SE the note fired in 12 % of runs at 3 x 5
#: folds (13-17 % at fewer); at two SEs in 2.5 %, with power 0.36 for a true lead of 0.10 R² on 200 samples. The
#: note is advice the selection does not follow, so it is held to the stricter bar.
FIXED_FILTER_SES = 2.0

#: Test-set bootstrap resamples for the paired AWD - initial interval.
N_BOOT = 10000

#: A difference of test mean squared errors below this share of the test target's variance (for R², the difference
#: itself) and below :data:`SMALL_RELATIVE` of the larger of the two errors is called small in words, even where its
#: interval excludes 0 (review 24B: "helped", in green, for 0.00058 R² between two wavelets that both ended near haar).
SMALL_SHARE = 0.005
#: ... and below this fraction of the larger mean squared error: near R² = 1 a difference of 0.0035 R² halved the
#: error (0.999 against 0.9955), which is not small (review 25B).
SMALL_RELATIVE = 0.1

#: Below this many test samples the verdict does not call a difference significant, and the notes that compare
#: single test scores are left out: a test R² on 30 samples has a standard error of about 0.1 where the true R² is
#: 0.5, and a bootstrap interval resampled from a handful of samples is unreliable (review 26A: "AWD is worse" on 8).
FEW_TEST_SAMPLES = 30
#: Below this best test R² of every model, the teacher's included, the verdict first says that nothing here
#: predicts the target (review 26A: a pure-noise target read "No significant gain over db5: use db5" alone).
NO_SKILL_R2 = 0.05
#: A teacher whose test R² is below this explains little: the trust note ``weak_teacher`` says so
#: (:mod:`models.pipeline.trust`), and the verdict first says that the teacher has little or no skill
#: (:func:`weak_teacher_words`).
WEAK_TEACHER_R2 = 0.1

#: What a small difference is, said after it.
SMALL_WORDS = ("a small difference: under half a percent of the test target's variance and under a tenth of the "
               "larger squared error")


def is_small(estimate, metric, awd_score, target_sd=None):
    """Whether a test-score difference of AWD minus another model is small: its mean squared errors differ by less
    than :data:`SMALL_SHARE` of the test target's variance and less than :data:`SMALL_RELATIVE` of the larger one.

    Parameters
    ----------
    estimate : float
        AWD minus the other model, in R² or in RMSE (target units).
    metric : {"r2", "rmse"}
    awd_score : float
        AWD's test R² or test RMSE (as ``metric``).
    target_sd : float, optional
        The test target's SD, needed for RMSE.

    Returns
    -------
    bool
        False when the numbers needed are missing.

    Examples
    --------
    >>> is_small(0.00058, "r2", 0.9646)  # errors 0.0354 and 0.0360 of the variance
    True
    >>> is_small(0.0035, "r2", 0.999)  # 0.001 and 0.0045: the error more than halved
    False
    >>> is_small(-0.001, "rmse", 0.02, target_sd=0.1)  # (0.021² - 0.02²) / 0.1² = 0.0041, but 9 % of 0.021²
    True
    """
    if not isinstance(awd_score, (int, float)) or not isinstance(estimate, (int, float)):
        return False
    other = awd_score - estimate
    if metric == "r2":
        errors, share = (1.0 - awd_score, 1.0 - other), abs(float(estimate))
    else:
        if not isinstance(target_sd, (int, float)) or target_sd <= 0:
            return False
        errors = (awd_score ** 2, other ** 2)
        share = abs(errors[1] - errors[0]) / target_sd ** 2
    larger = max(errors)
    return bool(share < SMALL_SHARE and larger > 0 and abs(errors[1] - errors[0]) < SMALL_RELATIVE * larger)


def interval_side(low, high, metric="r2") -> str:
    """Which side a paired test interval of AWD minus another model is on: ``"awd"`` (entirely in AWD's favour),
    ``"other"`` (entirely against it) or ``"level"`` (it holds 0), the metric's direction taken into account
    (higher R², lower RMSE).

    Examples
    --------
    >>> interval_side(0.01, 0.05), interval_side(-0.02, 0.01), interval_side(-0.006, -0.002, "rmse")
    ('awd', 'level', 'awd')
    """
    better_sign = 1.0 if metric == "r2" else -1.0
    if better_sign * low > 0 and better_sign * high > 0:
        return "awd"
    if better_sign * low < 0 and better_sign * high < 0:
        return "other"
    return "level"


def awd_significantly_worse(verdict, n_test=None) -> bool:
    """Whether a bundle's verdict found AWD significantly worse than the initial wavelet on the test set (its
    paired interval entirely on the initial wavelet's side), on :data:`FEW_TEST_SAMPLES` test samples or more
    (``n_test``: the test samples, or maps for tiled maps; None when unknown), as :func:`verdict_text` says.

    Examples
    --------
    >>> awd_significantly_worse({"metric": "r2", "test_difference": {"estimate": -0.1, "low": -0.2, "high": -0.03}})
    True
    >>> awd_significantly_worse({"metric": "rmse", "test_difference": {"estimate": -0.1, "low": -0.2, "high": -0.03}})
    False
    >>> awd_significantly_worse({"metric": "r2", "test_difference": {"low": -0.2, "high": -0.03}}, n_test=8)
    False
    >>> awd_significantly_worse({})
    False
    """
    if n_test is not None and n_test < FEW_TEST_SAMPLES:
        return False
    verdict = verdict if isinstance(verdict, dict) else {}
    diff = verdict.get("test_difference") or {}
    low, high = diff.get("low"), diff.get("high")
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return False
    return interval_side(low, high, verdict.get("metric", "r2")) == "other"


def distillation_helped(choice, difference, metric="r2", small=False, n_test=None, no_skill=False) -> bool:
    """Whether a result shows distillation helping, as its verdict says it: AWD is the model delivered, the paired
    test interval of AWD minus the initial wavelet is entirely on AWD's side (:func:`interval_side`), the
    difference is not small (:func:`is_small`), the test set has :data:`FEW_TEST_SAMPLES` samples (maps for tiled
    maps) or more, and some model predicts the target (not ``no_skill``). The results page draws only such a
    verdict as a success.

    Examples
    --------
    >>> gain = {"estimate": 0.03, "low": 0.01, "high": 0.05}
    >>> distillation_helped("awd", gain), distillation_helped("awd", gain, small=True)
    (True, False)
    >>> distillation_helped("initial", gain), distillation_helped("awd", gain, n_test=8)
    (False, False)
    >>> distillation_helped("awd", {"estimate": 0.003, "low": 0.001, "high": 0.005}, metric="rmse")
    False
    """
    if choice != "awd" or small or no_skill or (n_test is not None and n_test < FEW_TEST_SAMPLES):
        return False
    return interval_side(difference["low"], difference["high"], metric) == "awd"


def distance_to(psi, psi_ref):
    """Wavelet distance (:func:`models.filters.wavelet_distance`) divided by ``||psi_ref||``."""
    return float(_filters.wavelet_distance(psi, psi_ref) / max(np.linalg.norm(psi_ref), 1e-300))


def format_difference(value, metric, scale=None, least=None):
    """A test-score difference in words: R² with 3 decimals, or as many more as a difference of ``scale`` (the
    largest magnitude it is shown beside) needs for 2 significant digits; RMSE with the decimals that give
    ``scale`` 3 significant digits, the same for every number of one sentence (review 20: "-0.01 to -0.00178");
    and at least one significant digit of ``least``, the smallest magnitude of the sentence that must not read as
    0 (review 39D: a significant interval printed "0.000 to 0.021").

    Examples
    --------
    >>> format_difference(0.0342, "r2"), format_difference(-6.2e-5, "r2", scale=8e-5)
    ('0.034', '-0.000062')
    >>> format_difference(0.0061, "rmse"), format_difference(-0.01, "rmse", scale=0.0127)
    ('0.00610', '-0.0100')
    >>> format_difference(0.0004, "r2", scale=0.021, least=0.0004)
    '0.0004'
    """
    scale = abs(value) if scale is None else scale
    if metric != "r2":
        decimals = 3 if not 0 < scale < 1 else min(int(-np.floor(np.log10(scale))) + 2, 12)
        if scale >= 100:
            return f"{value:.3g}"
    else:
        decimals = 3 if not 0 < scale < 0.01 else min(int(-np.floor(np.log10(scale))) + 1, 12)
    if least is not None and 0 < least < 10.0 ** -decimals:
        decimals = min(int(-np.floor(np.log10(least))), 12)
    return f"{value:.{decimals}f}"


def difference_number(difference: dict, metric: str):
    """The formatter of one sentence's differences (:func:`format_difference`): the decimals of its largest
    magnitude, and enough for the bound nearest 0 of an interval that excludes 0 not to read as 0.

    Examples
    --------
    >>> number = difference_number({"estimate": 0.010, "low": 0.0004, "high": 0.021}, "r2")
    >>> number(0.010), number(0.0004), number(0.021)
    ('0.0100', '0.0004', '0.0210')
    """
    low, high = difference["low"], difference["high"]
    scale = max(abs(difference["estimate"]), abs(low), abs(high))
    least = min(abs(low), abs(high)) if low * high > 0 else None

    def number(value):
        return format_difference(value, metric, scale, least)

    return number


def rmse_difference_words(estimate, number, other, what="RMSE"):
    """AWD's RMSE difference against ``other`` in words, which way is better said (a signed RMSE difference had to
    be worked out): ``number`` formats the magnitude.

    Examples
    --------
    >>> rmse_difference_words(-0.004, "{:.3g}".format, "db5")
    "AWD's test RMSE is 0.004 lower (better) than db5's"
    >>> rmse_difference_words(0.0, "{:.3g}".format, "db5")
    "AWD's test RMSE equals db5's"
    """
    if estimate == 0:  # review 29A: a difference of exactly 0 was called "higher (worse)"
        return f"AWD's test {what} equals {other}'s"
    way = "lower (better)" if estimate < 0 else "higher (worse)"
    return f"AWD's test {what} is {number(abs(estimate))} {way} than {other}'s"


def verdict_samples(bundle):
    """The number of test samples a bundle's verdict rests on: its test maps for tiled maps (the interval resamples
    whole maps), else its test samples; None when the bundle does not say.

    Examples
    --------
    >>> verdict_samples({"data": {"n_test": 240, "test_maps": 15}}), verdict_samples({"data": {"n_test": 8}})
    (15, 8)
    """
    data = (bundle or {}).get("data") or {}
    count = data.get("test_maps") or data.get("n_test")
    return int(count) if isinstance(count, int | float) else None


def no_skill_words(best_r2):
    """The sentence that opens a verdict when no model predicts the target (best test R² below
    :data:`NO_SKILL_R2`), else ``""``.

    Examples
    --------
    >>> no_skill_words(-0.001)[:69]
    'No model here predicts the target usefully: the best test R² of any m'
    >>> no_skill_words(0.4)
    ''
    """
    if not isinstance(best_r2, int | float) or best_r2 >= NO_SKILL_R2:
        return ""
    # review 27A: a cut-off, not a test; and R² 0 is what the test targets' own mean scores
    return (f"No model here predicts the target usefully: the best test R² of any model, the teacher's included, is "
            f"{best_r2:.3f} (0 is the score of always predicting the test targets' mean; below {NO_SKILL_R2} counts "
            "as little or no skill here). What follows compares models with little or no skill. ")


#: The trust notes (:func:`models.pipeline.trust.trust_notes`) that find no part of the teacher's in a gain over the
#: initial wavelet, and how the verdict says so.
TEACHER_PART_NOT_SHOWN = {
    "interpretation_no_gain": "the best γ = 0 point, found without the teacher, predicts as well",
    "search_beats_awd": "a search of random wavelets without the teacher found one that predicts better",
}


#: The trust notes that find the teacher unfit to be explained (it predicts the target little or not at all, or its
#: output is constant or at another scale), and how the verdict says so: a gain over the initial wavelet is then no
#: explanation of the network (review 40C: a green "AWD improves test R² over db5 by 0.166" above "the teacher is
#: weak: test R² -0.037"), and the verdict is not drawn as a success (:func:`helped_by_the_teacher`).
TEACHER_UNFIT = {
    "weak_teacher": "the teacher itself predicts the target little or not at all",
    "teacher_constant": "the teacher's output is the same for every sample",
    "teacher_units": "the teacher's output is at another scale than the target",
}


def helped_by_the_teacher(helped, note_keys) -> bool | None:
    """The verdict's ``helped`` once the trust notes are known: False where one finds the teacher unfit to be
    explained (:data:`TEACHER_UNFIT`), else ``helped`` as :func:`distillation_helped` gave it.

    Examples
    --------
    >>> helped_by_the_teacher(True, ["weak_teacher"]), helped_by_the_teacher(True, ["awd_beats_search"])
    (False, True)
    """
    return False if helped and TEACHER_UNFIT.keys() & set(note_keys) else helped


def teacher_part_words(helped, note_keys) -> str:
    """A sentence to end a verdict that shows distillation helping when the trust notes find no part of the
    teacher's in it (review 38B: "AWD improves test R² over db5", in green, above two notes saying that the
    attributions did not help and that a search without the teacher did better) or find the teacher unfit to be
    explained (:data:`TEACHER_UNFIT`; review 40C); "" otherwise.

    Parameters
    ----------
    helped : bool or None
        The verdict's ``helped`` (:func:`distillation_helped`).
    note_keys : iterable of str
        The keys of the result's trust notes.

    Returns
    -------
    str

    Examples
    --------
    >>> print(teacher_part_words(True, ["interpretation_no_gain", "search_beats_awd"]).strip()[:77])
    The learned wavelet is better than the initial one, but the teacher's part in
    >>> teacher_part_words(True, ["awd_beats_search"]), teacher_part_words(False, ["search_beats_awd"])
    ('', '')
    >>> print(teacher_part_words(True, ["weak_teacher"]).strip()[:111])
    The learned wavelet is better than the initial one, but it explains nothing of the network: the teacher itself
    """
    unfit = [words for key, words in TEACHER_UNFIT.items() if key in set(note_keys)]
    if helped and unfit:
        return (" The learned wavelet is better than the initial one, but it explains nothing of the network: "
                + " and ".join(unfit) + " (the notes below), so the gain is the wavelet's fit to the data.")
    reasons = [words for key, words in TEACHER_PART_NOT_SHOWN.items() if key in set(note_keys)]
    if not helped or not reasons:
        return ""
    return (" The learned wavelet is better than the initial one, but the teacher's part in that is not shown: "
            + " and ".join(reasons) + " (the notes below).")


def uploaded_teacher(teacher) -> bool:
    """Whether a bundle's teacher is uploaded weights, which the job did not train: its record has ``upload`` (its
    file's name, format and hash), or in bundles written before that was kept, ``prediction_scale`` or a name
    ``"uploaded (…)"``; a teacher the job trained has none of them.

    Examples
    --------
    >>> uploaded_teacher({"name": "uploaded (exported program)"}), uploaded_teacher({"name": "mlp", "epochs_run": 80})
    (True, False)
    """
    teacher = teacher if isinstance(teacher, dict) else {}
    return bool(teacher.get("upload") or teacher.get("prediction_scale")
                or str(teacher.get("name") or "").startswith("uploaded"))


def weak_teacher_words(bundle) -> str:
    """The sentences that open a verdict when the teacher has little or no skill on the test set: its test R² is
    below :data:`WEAK_TEACHER_R2` and a trust note finds it unfit to be explained (:data:`TEACHER_UNFIT`, the notes
    in ``trust.notes``: ``weak_teacher`` is the same rule); else ``""``. They say that the distilled wavelet explains
    nothing the network learned, and how the model delivered predicts on its own test score, unless the verdict
    already says that no model predicts the target (``verdict.no_skill``). A review's untrained network, uploaded as
    the teacher (test R² -0.485), read "No significant gain over db5 … cross-validation preferred AWD, the model
    delivered here", with the teacher's failure only in a note below.

    Parameters
    ----------
    bundle : dict
        A result bundle (``result.json``) with its trust notes; ``verdict.choice`` and ``models.<name>.test.r2``
        name the model delivered and its score.

    Returns
    -------
    str
        Sentences ending in a space, to go before the verdict's own, or ``""``.

    Examples
    --------
    >>> b = {"teacher": {"name": "uploaded (exported program)", "test": {"r2": -0.485}},
    ...      "trust": {"notes": [{"key": "weak_teacher"}]}, "verdict": {"choice": "awd"},
    ...      "models": {"awd": {"test": {"r2": 0.312}}}}
    >>> print(weak_teacher_words(b))
    The uploaded teacher has little or no skill on the test set (test R² -0.485, below 0.1; worse than predicting
    the mean): the wavelet distilled from it explains nothing the network learned. The model delivered, the AWD
    student, predicts with test R² 0.312: a score to judge it by as a predictor, not as an explanation of the
    network. What follows compares the wavelets as predictors only.
    >>> weak_teacher_words({**b, "teacher": {"name": "mlp", "test": {"r2": 0.6}}})
    ''
    """
    teacher = (bundle or {}).get("teacher") or {}
    r2 = (teacher.get("test") or {}).get("r2")
    keys = {note.get("key") for note in ((bundle.get("trust") or {}).get("notes") or []) if isinstance(note, dict)}
    if not isinstance(r2, int | float) or not r2 < WEAK_TEACHER_R2 or not keys & TEACHER_UNFIT.keys():
        return ""
    who = "uploaded teacher" if uploaded_teacher(teacher) else "teacher"
    worse = "; worse than predicting the mean" if r2 < 0 else ""
    words = (f"The {who} has little or no skill on the test set (test R² {r2:.3f}, below {WEAK_TEACHER_R2}{worse}): "
             "the wavelet distilled from it explains nothing the network learned. ")
    verdict = bundle.get("verdict") or {}
    if verdict.get("no_skill"):  # the verdict's next sentence says that no model predicts the target
        return words
    kept = verdict.get("choice") == "initial"
    name = (f"{(bundle.get('wavelet') or {}).get('init') or 'the initial wavelet'}'s student (the initial wavelet)"
            if kept else "the AWD student")
    student_r2 = (((bundle.get("models") or {}).get("baseline_wavelet" if kept else "awd") or {}).get("test")
                  or {}).get("r2")
    if isinstance(student_r2, int | float) and student_r2 >= WEAK_TEACHER_R2:
        words += (f"The model delivered, {name}, predicts with test R² {student_r2:.3f}: a score to judge it by as a "
                  "predictor, not as an explanation of the network. ")
    elif isinstance(student_r2, int | float):
        words += f"The model delivered, {name}, predicts little either (test R² {student_r2:.3f}). "
    return words + "What follows compares the wavelets as predictors only. "


def verdict_with_teacher(bundle) -> str:
    """The verdict's text once the trust notes are known: led by :func:`weak_teacher_words` when the teacher has
    little or no skill, else ended by :func:`teacher_part_words` (which the lead makes redundant).

    Parameters
    ----------
    bundle : dict
        A result bundle with ``verdict.text``, ``verdict.helped`` as :func:`distillation_helped` gave it and the
        trust notes (``trust.notes``).

    Returns
    -------
    str

    Examples
    --------
    >>> b = {"teacher": {"name": "mlp", "epochs_run": 80, "test": {"r2": -0.2}}, "trust": {"notes": [
    ...      {"key": "weak_teacher"}]}, "verdict": {"text": "No significant gain over db5 (…).", "choice": "awd",
    ...      "helped": False, "no_skill": True}}
    >>> print(verdict_with_teacher(b))
    The teacher has little or no skill on the test set (test R² -0.200, below 0.1; worse than predicting the mean):
    the wavelet distilled from it explains nothing the network learned. No significant gain over db5 (…).
    >>> verdict_with_teacher({**b, "teacher": {"test": {"r2": 0.7}}, "trust": {"notes": []}})
    'No significant gain over db5 (…).'
    """
    verdict = (bundle or {}).get("verdict") or {}
    text = verdict.get("text") or ""
    lead = weak_teacher_words(bundle)
    if lead:
        return lead + text
    keys = [note.get("key") for note in ((bundle.get("trust") or {}).get("notes") or []) if isinstance(note, dict)]
    return text + teacher_part_words(verdict.get("helped"), keys)


def verdict_text(choice, difference, init_name, metric="r2", target_name=None, small=False, n_test=None):
    """One sentence saying whether distillation helped, from the selection and the paired test interval.

    Parameters
    ----------
    choice : {"awd", "initial"}
        What cross-validation chose (:func:`select_wavelet`).
    difference : dict
        :func:`models.metrics.paired_bootstrap_difference` of AWD minus the initial wavelet on the test set.
    init_name : str
        The initial wavelet, e.g. ``"db5"``.
    metric : {"r2", "rmse"}, default="r2"
    target_name : str, optional
        Named in RMSE sentences.
    small : bool, default=False
        Whether the difference is small (:func:`is_small`): a confirmed gain or loss is then said to be small.
    n_test : int, optional
        Test samples (maps for maps); below :data:`FEW_TEST_SAMPLES` no difference is called significant.

    Returns
    -------
    str

    Examples
    --------
    >>> verdict_text("awd", {"estimate": 0.03, "low": 0.01, "high": 0.05, "level": 0.95}, "db5")
    'AWD improves test R² over db5 by 0.030 (95 % interval 0.010 to 0.050).'

    A gain the interval confirms but small (:func:`is_small`) is said to be small:

    >>> verdict_text("awd", {"estimate": 6e-4, "low": 2e-4, "high": 1e-3, "level": 0.95}, "db5", small=True)
    "AWD improves test R² over db5 by 0.0006 (95 % interval 0.0002 to 0.0010), a small difference: under half a
    percent of the test target's variance and under a tenth of the larger squared error."
    >>> verdict_text("initial", {"estimate": -0.002, "low": -0.01, "high": 0.006, "level": 0.95}, "db5")
    'No significant gain over db5: use db5 (cross-validation kept it; on the test set AWD − db5 = -0.002 R², 95 %
    interval -0.010 to 0.006).'

    Differences far below 0.001 R² keep two significant digits:

    >>> verdict_text("awd", {"estimate": -3.1e-5, "low": -5.7e-5, "high": -6.4e-6, "level": 0.95}, "db5")
    "AWD is worse than db5 on the test set (AWD − db5 = -0.000031 R², 95 % interval -0.000057 to -0.000006),
    although cross-validation preferred AWD, the model delivered here: predict with db5's student instead (--model
    baseline_wavelet; model=baseline_wavelet in the API)."

    A loss the interval confirms but small is said to be small, as a gain is:

    >>> verdict_text("initial", {"estimate": -3.1e-5, "low": -5.7e-5, "high": -6.4e-6, "level": 0.95}, "db5",
    ...              small=True)[79:]
    "-0.000057 to -0.000006), a small difference: under half a percent of the test target's variance and under a
    tenth of the larger squared error. Use db5 (cross-validation kept it)."

    When cross-validation kept the initial wavelet but the test set favours AWD, both are said:

    >>> verdict_text("initial", {"estimate": -5.7e-4, "low": -8.3e-4, "high": -2.0e-4, "level": 0.95}, "db5",
    ...              metric="rmse")[:142]
    "Cross-validation kept db5, the model delivered here, but AWD did better on the test set (AWD's test RMSE is
    0.000570 lower (better) than db5's"

    When cross-validation chose AWD (the model delivered) and the test set cannot tell the two apart:

    >>> verdict_text("awd", {"estimate": 0.011, "low": -0.019, "high": 0.041, "level": 0.95}, "db5")
    'No significant gain over db5 on the test set (AWD − db5 = 0.011 R², 95 % interval -0.019 to 0.041):
    cross-validation preferred AWD, the model delivered here, but db5 may do as well.'

    On fewer than :data:`FEW_TEST_SAMPLES` test samples no difference is called significant:

    >>> verdict_text("initial", {"estimate": -0.45, "low": -0.84, "high": -0.07, "level": 0.95}, "db5", n_test=8)[:70]
    'Only 8 test samples: too few for the test set to confirm or refute a d'

    And when the test set leans towards db5 without excluding a tie:

    >>> verdict_text("awd", {"estimate": -0.02, "low": -0.05, "high": 0.004, "level": 0.95}, "db5")[:67]
    'AWD did worse than db5 on the test set, though not significantly (A'
    """
    est, low, high = difference["estimate"], difference["low"], difference["high"]
    number = difference_number(difference, metric)

    pct = f"{100 * difference.get('level', 0.95):.0f} %"
    what = "R²" if metric == "r2" else f"RMSE{'' if not target_name else ' of ' + target_name}"
    side = interval_side(low, high, metric)
    interval = f"{pct} interval {number(low)} to {number(high)}"
    if n_test is not None and n_test < FEW_TEST_SAMPLES:
        delivered = "AWD" if choice == "awd" else init_name
        noun = "samples" if metric == "r2" else "maps"  # maps are scored by RMSE; a tiled map counts once
        one = noun[:-1] if n_test == 1 else noun
        return (f"Only {n_test} test {one}: too few for the test set to confirm or refute a difference between AWD "
                f"and {init_name} (AWD − {init_name} = {number(est)} {what}, a bootstrap {interval} that so few "
                f"{noun} make unreliable). The model delivered, {delivered}, is the one cross-validation chose.")
    if choice == "awd" and side == "awd":
        verb = "improves test R² over" if metric == "r2" else f"lowers the test {what} below"
        tail = "" if metric == "r2" else "'s"
        small = f", {SMALL_WORDS}" if small else ""
        if metric == "r2":
            return f"AWD {verb} {init_name}{tail} by {number(est)} ({interval}){small}."
        # the interval signed as every other sentence gives it, AWD minus the other (review 20: this one alone gave
        # the reduction, positive, beside notes with negative intervals)
        return (f"AWD {verb} {init_name}{tail} by {number(-est)} ({pct} interval of AWD − {init_name} "
                f"{number(low)} to {number(high)}){small}.")
    if metric == "r2":
        gap = f"AWD − {init_name} = {number(est)} R², {interval}"
    else:
        gap = (f"{rmse_difference_words(est, number, init_name, what)}, {pct} interval of AWD − {init_name} "
               f"{number(low)} to {number(high)}")
    if side == "other":
        # review 26A: a small loss was said as a large one; review 27A: its words' colon, then another
        small = f", {SMALL_WORDS}." if small else ""
        if choice == "initial":
            return (f"AWD is worse than {init_name} on the test set ({gap}){small or ':'} "
                    f"{'Use' if small else 'use'} {init_name} (cross-validation kept it).")
        # review 26A: "use db5" while Predict and `awd predict` used AWD, cross-validation's choice, without a word
        return (f"AWD is worse than {init_name} on the test set ({gap}){small or ','} {'A' if small else 'a'}lthough "
                f"cross-validation preferred AWD, the model delivered here: predict with {init_name}'s student instead "
                "(--model baseline_wavelet; model=baseline_wavelet in the API).")
    if choice == "initial" and side == "awd":  # the test disagrees with the CV
        small = f", {SMALL_WORDS}" if small else ""  # review 27A: said for gains and losses, not for this one
        return (f"Cross-validation kept {init_name}, the model delivered here, but AWD did better on the test set "
                f"({gap}){small}. The choice was made before the test set was read; a single test split can favour "
                "either, so treat AWD's edge as a lead to confirm on more data, not as the choice.")
    if choice == "initial":
        return (f"No significant gain over {init_name}: use {init_name} (cross-validation kept it; on the test set "
                f"{gap}).")
    # the model delivered is AWD, which cross-validation chose: the sentence must not tell the user to use another
    if (est if metric == "r2" else -est) < 0:  # worse on the test set, though the interval holds 0: not "no gain"
        return (f"AWD did worse than {init_name} on the test set, though not significantly ({gap}): "
                f"cross-validation preferred AWD, the model delivered here, but {init_name} may well be as good "
                "or better.")
    return (f"No significant gain over {init_name} on the test set ({gap}): cross-validation preferred AWD, the model "
            f"delivered here, but {init_name} may do as well.")


def warnings_of(cv_entries, mean_score=None):
    """One sentence naming every student that does not beat predicting the training mean in cross-validation
    (an empty list when all do). "Beat" is the paired rule of :func:`models.pipeline.selection.cv_entry`: more
    than one standard error above the mean predictor's fold scores, whose own CV R² (``mean_score``, below 0 on
    held-out folds) the sentence gives when known, so that a student above it but within the error reads right.

    Examples
    --------
    >>> warnings_of({"awd": {"beats_mean": False, "r2": -0.02}, "laplace": {"beats_mean": True, "r2": 0.4}})[0][:71]
    'The AWD student does not beat predicting the training mean in cross-val'
    >>> warnings_of({"awd": {"beats_mean": False, "r2": -0.006}}, mean_score=-0.163)[0][:110]
    'The AWD student does not beat predicting the training mean (CV R² -0.163) by more than one standard error in c'
    >>> warnings_of({"awd": {"beats_mean": True, "r2": 0.3}})
    []
    """
    weak = [(STUDENT_NAMES.get(name, name), entry["r2"]) for name, entry in cv_entries.items()
            if not entry["beats_mean"]]
    if not weak:
        return []
    rule = ("" if mean_score is None
            else f" (CV R² {mean_score:.3f}) by more than one standard error")
    if len(weak) == 1:
        (name, r2), = weak
        return [f"The {name} student does not beat predicting the training mean{rule} in cross-validation "
                f"(CV R² {r2:.3f}); its test scores are not evidence of skill."]
    names = ", ".join(f"{name} ({r2:.3f})" for name, r2 in weak)
    return [f"{len(weak)} students do not beat predicting the training mean{rule} in cross-validation (CV R²): "
            f"{names}; their test scores are not evidence of skill."]


#: Readable names of the bundle's models.
STUDENT_NAMES = {"awd": "AWD", "awd_no_interp": "AWD (γ = 0)", "baseline_wavelet": "initial-wavelet",
                 "laplace": "Laplace", "roberts_cross": "Roberts-cross", "peak_heights": "raw-peak",
                 "random_search": "random-search (no teacher)"}
