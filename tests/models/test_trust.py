"""Notes on what to trust in a result (models.pipeline.trust): the learned wavelet by name, a grid that did not
move."""

import numpy as np
import pywt

from awd_studio.models.filters import nearest_known_wavelet
from awd_studio.models.pipeline.trust import GRID_SAME, KNOWN_CLOSE, trust_notes


def _bundle(filters, best=0, init="db5"):
    h = np.asarray(filters[best])
    name, distance = nearest_known_wavelet(h)
    return {"wavelet": {"init": init, "h": list(map(float, h)), "nearest_known": {"name": name, "distance": distance}},
            "selected": {"index": best},
            "grid": [{"h": list(map(float, f))} for f in filters]}


def _keys(bundle):
    return [note["key"] for note in trust_notes(bundle)]


def test_a_learned_filter_that_became_haar_is_named_and_a_grid_that_did_not_move_is_flagged():
    """What a CME job with the defaults produced: every grid point at Haar in ten taps, the others near zero."""
    haar = np.r_[pywt.Wavelet("haar").rec_lo, np.zeros(8)]
    rng = np.random.default_rng(0)
    filters = [haar + 1e-4 * rng.normal(size=10) for _ in range(6)]
    notes = {note["key"]: note["text"] for note in trust_notes(_bundle(filters, best=2))}
    assert "essentially haar" in notes["learned_is_known"] and "scores" not in notes["learned_is_known"]
    assert "(the learned filter's other taps are near zero)" in notes["learned_is_known"]
    assert "Every one of the 6 grid points ended at the same filter" in notes["grid_collapsed"]


def test_a_grid_that_ended_at_one_filter_after_a_short_run_does_not_blame_the_data():
    """Review 42B: two CME runs of 3 epochs said "λ and γ made no difference on this data" of two filters 2.7 % from
    db5 and 0.14 % from each other, which few epochs and a small γ explain as well as the data."""
    db5 = np.asarray(pywt.Wavelet("db5").rec_lo)
    bundle = _bundle([1.027 * db5, 1.0284 * db5])
    bundle.update(data={"kind": "timeseries"}, history={"epoch": [1, 2, 3]}, provenance={"config": {"epochs": 3}})
    bundle["wavelet"]["init_h"] = list(db5)
    text = {n["key"]: n["text"] for n in trust_notes(bundle)}["grid_collapsed"]
    assert text.startswith("Every one of the 2 grid points ended at the same filter after 3 epochs (the farthest "
                           "0.14 % from the best one's, which moved 2.7 % from its start): 3 epochs are fewer than "
                           "the 50 of the default grid and the filters moved little, so more epochs or a larger γ may "
                           "still separate them."), text
    assert "made no difference on this data" not in text and "nor about the data" in text
    # the default's 50 epochs, filters still near db5: only the small move leaves the doubt
    bundle.update(history={"epoch": list(range(1, 51))}, provenance={"config": {"epochs": 50}})
    text = {n["key"]: n["text"] for n in trust_notes(bundle)}["grid_collapsed"]
    assert "after 50 epochs" in text and ": the filters moved little, so more epochs or a larger γ" in text
    # stopped early at epoch 12 of 50 and far from db5 (haar): the collapse is the data's
    haar = np.r_[pywt.Wavelet("haar").rec_lo, np.zeros(8)]
    far = _bundle([haar, haar * 1.001])
    far.update(data={"kind": "timeseries"}, history={"epoch": list(range(1, 13))},
               provenance={"config": {"epochs": 50}})
    far["wavelet"]["init_h"] = list(db5)
    text = {n["key"]: n["text"] for n in trust_notes(far)}["grid_collapsed"]
    assert "after 12 epochs" in text and "λ and γ made no difference on this data" in text
    assert "fewer than" not in text and "moved little" not in text
    # a short run of maps (3 of the default 8 epochs) that moved far still says the epochs were few
    far.update(data={"kind": "image"}, history={"epoch": [1, 2, 3]}, provenance={"config": {"epochs": 3}})
    text = {n["key"]: n["text"] for n in trust_notes(far)}["grid_collapsed"]
    assert "3 epochs are fewer than the 8 of the default grid, so more epochs or a larger γ" in text


def test_no_name_for_a_wavelet_of_its_own_and_no_warning_for_a_grid_that_spread():
    db5 = np.asarray(pywt.Wavelet("db5").rec_lo)
    rng = np.random.default_rng(1)
    filters = [db5 + 0.05 * rng.normal(size=10) for _ in range(4)]
    bundle = _bundle(filters)
    assert bundle["wavelet"]["nearest_known"]["distance"] > KNOWN_CLOSE
    assert "learned_is_known" not in _keys(bundle) and "grid_collapsed" not in _keys(bundle)
    # within GRID_SAME of the best filter: one filter, whatever lambda and gamma were
    close = [filters[0] * (1 + 0.2 * GRID_SAME * k / 4) for k in range(4)]
    assert "grid_collapsed" in _keys(_bundle(close))


def test_a_wavelet_that_stayed_its_initial_one_says_so():
    db5 = np.asarray(pywt.Wavelet("db5").rec_lo)
    text = next(n["text"] for n in trust_notes(_bundle([db5])) if n["key"] == "learned_is_known")
    assert "essentially db5" in text and "the wavelet distillation started from" in text
    # started elsewhere and ended at a wavelet of the same length: no "other taps" (review 22: said of db5)
    text = next(n["text"] for n in trust_notes(_bundle([db5], init="sym5")) if n["key"] == "learned_is_known")
    assert text.endswith("from db5's.") and "other taps" not in text and "scores" not in text


def test_a_constant_test_target_is_said_plainly_and_no_r2_note_follows():
    bundle = {"data": {"test_target_sd": 0.0}, "teacher": {"name": "cnn", "test": {"r2": 0.0}},
              "models": {"awd": {"test": {"r2": 0.0}}, "laplace": {"test": {"r2": 0.0}}}}
    assert _keys(bundle) == ["constant_test_target"]
    assert "undefined" in trust_notes(bundle)[0]["text"]
    varied = dict(bundle, data={"test_target_sd": 0.04})
    assert "constant_test_target" not in _keys(varied) and "weak_teacher" in _keys(varied)


def test_a_baseline_that_loses_to_the_mean_is_not_recommended():
    bundle = {"teacher": {"name": "cnn", "test": {"r2": 0.5}},
              "models": {"awd": {"test": {"r2": -0.08}}, "laplace": {"test": {"r2": -0.03}}}}
    assert "baseline_beats_awd" not in _keys(bundle)
    bundle["models"]["laplace"]["test"]["r2"] = 0.2
    assert "baseline_beats_awd" in _keys(bundle)
    # review 13 (and 11): it does not contradict "the model to use" (the one cross-validation chose); it says how
    # to predict with the baseline and that this choice rests on the test score
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "baseline_beats_awd")
    assert "For prediction use the baseline" not in text and "awd predict --model laplace" in text
    assert "rests on the test score" in text


def test_a_baseline_that_beats_the_delivered_model_is_compared_with_it_not_with_awd():
    """Review 42B: with db5's student delivered (cross-validation kept it), the note compared the raw peaks' test R²
    0.623 with the AWD point's 0.579, which was not delivered, and called the delivered model "still" that one."""
    bundle = {"teacher": {"name": "cnn", "test": {"r2": 0.9}}, "selection": {"choice": "initial"},
              "wavelet": {"init": "db5"}, "students": {"baseline_wavelet": {}},
              "models": {"awd": {"test": {"r2": 0.579}}, "baseline_wavelet": {"test": {"r2": 0.583}},
                         "peak_heights": {"test": {"r2": 0.623}}}}
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "baseline_beats_awd")
    assert "beats the model delivered (db5's student, the initial wavelet, which cross-validation kept) on the test " \
           "set (R² 0.623 against 0.583)" in text, text
    assert "the wavelet cross-validation kept did not add" in text and "0.579" not in text
    bundle["models"]["peak_heights"]["test"]["r2"] = 0.58  # beats AWD, not the model delivered: nothing to say
    assert "baseline_beats_awd" not in _keys(bundle)


def test_a_fixed_filter_that_leads_in_cross_validation_is_said_with_both_splits():
    """Review 28A: raw peak heights led the delivered db5 student in the training maps' CV (0.588 against 0.119)
    while one 48-map test split ranked them the other way, and nothing on the page said so."""
    diff = {"estimate": 0.0004, "low": -0.001, "high": 0.002, "level": 0.95, "metric": "rmse", "n_boot": 100}
    check = {"name": "peak_heights", "delivered": "baseline_wavelet", "cv_score": 0.588, "delivered_cv_score": 0.119,
             "cv_gain": 0.469, "cv_gain_se": 0.12, "leads": True, "test_difference": diff}
    bundle = {"teacher": {"name": "cnn", "test": {"r2": 0.5}}, "wavelet": {"init": "db5"},
              "data": {"target_name": "sigma_8", "n_test": 48},
              "models": {"awd": {"test": {"r2": 0.3}}, "baseline_wavelet": {"test": {"r2": 0.536}},
                         "peak_heights": {"test": {"r2": 0.6}}},
              "verdict": {"text": "No significant gain over db5: use db5 (...).", "fixed_filter": check}}
    notes = {n["key"]: n for n in trust_notes(bundle)}
    text = notes["fixed_filter_leads_cv"]["text"]
    assert notes["fixed_filter_leads_cv"]["level"] == "warning"
    assert "raw-peak student (CV R² 0.588)" in text and "initial wavelet (db5) student (CV R² 0.119)" in text
    assert "by 0.469, more than twice its standard error (0.120)" in text and "RMSE of sigma_8" in text
    assert "The test set does not confirm it" in text and "awd predict --model peak_heights" in text
    assert "interval of delivered − baseline" in text
    assert "baseline_beats_awd" not in notes  # the same baseline, said once, by CV
    # review 29A: nor a test-score note on another fixed filter beside it (two baselines recommended at once)
    other = {**bundle, "models": {**bundle["models"], "laplace": {"test": {"r2": 0.7}}}}
    assert "baseline_beats_awd" not in {n["key"] for n in trust_notes(other)}
    # a test-set lead that CV does not back is said to be possibly the split's chance
    bundle["verdict"]["fixed_filter"] = {**check, "cv_gain": 0.02, "cv_gain_se": 0.05, "leads": False}
    notes = {n["key"]: n for n in trust_notes(bundle)}
    assert "fixed_filter_leads_cv" not in notes
    assert "does not lead the model delivered by more than two standard errors (CV R² +0.020, SE 0.050)" in notes[
        "baseline_beats_awd"]["text"]
    # the best of three leads, the choice among them does not: said so, not "does not lead"
    bundle["verdict"]["fixed_filter"] = {**check, "cv_gain": 0.12, "cv_gain_se": 0.05, "search_cv_gain": 0.03,
                                         "search_cv_gain_se": 0.05, "leads": False}
    text = {n["key"]: n for n in trust_notes(bundle)}["baseline_beats_awd"]["text"]
    assert "is within what picking the best of the fixed filters gives by chance" in text and "+0.030" in text


def test_students_that_lose_to_the_mean_share_one_warning():
    from awd_studio.models.pipeline.verdict import warnings_of

    entries = {k: {"beats_mean": False, "r2": -0.1} for k in ("awd", "laplace", "roberts_cross")}
    (sentence,) = warnings_of(entries)
    assert sentence.startswith("3 students do not beat predicting the training mean") and "Laplace (-0.100)" in sentence


def test_a_teacher_stopped_at_its_epoch_limit_while_improving_is_named():
    """Review 7: the maps CNN ran 50 of 50 epochs, still improving, under a form that promised early stopping."""
    teacher = {"name": "cnn", "test": {"r2": 0.498}, "epochs_run": 50, "epoch_cap": 50, "best_epoch": 50}
    bundle = {"teacher": teacher, "models": {"awd": {"test": {"r2": 0.68}}, "roberts_cross": {"test": {"r2": 0.806}}}}
    notes = {n["key"]: n for n in trust_notes(bundle)}
    assert notes["teacher_at_cap"]["level"] == "warning"  # beside a baseline that beats the teacher
    assert "all 50 epochs" in notes["teacher_at_cap"]["text"] and "--teacher-epochs" in notes["teacher_at_cap"]["text"]
    early = {**teacher, "epochs_run": 31, "best_epoch": 11}  # stopped early: no note
    assert "teacher_at_cap" not in {n["key"] for n in trust_notes({**bundle, "teacher": early})}
    plateau = {**teacher, "best_epoch": 30}  # ran to the limit on a plateau: no note
    assert "teacher_at_cap" not in {n["key"] for n in trust_notes({**bundle, "teacher": plateau})}
    # review 17: best at epoch 4 of 5 read "was still improving"; it says near the end, and that it may have been
    near = trust_notes({**bundle, "teacher": {**teacher, "epochs_run": 5, "epoch_cap": 5, "best_epoch": 4}})
    text = next(n["text"] for n in near if n["key"] == "teacher_at_cap")
    assert "near the end (epoch 4 of 5)" in text and "may still have been improving" in text
    assert "was still improving" not in text
    uploaded = {"name": "cnn", "test": {"r2": 0.9}}  # no training facts
    assert "teacher_at_cap" not in {n["key"] for n in trust_notes({**bundle, "teacher": uploaded})}


def test_uploaded_weights_at_another_scale_are_named_as_such():
    """Review 14: a state dict without its normalisation buffers scored R² -221 and was called weak ("train a better
    teacher"); the note names the units instead."""
    bundle = {"teacher": {"name": "uploaded (cnn)", "test": {"r2": -221.0},
                          "prediction_scale": {"mean": 0.01, "sd": 0.9, "target_mean": 0.3, "target_sd": 0.06}},
              "models": {"awd": {"test": {"r2": 0.5}}}}
    keys = _keys(bundle)
    assert "teacher_units" in keys and "weak_teacher" not in keys
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "teacher_units")
    assert "x_mean, x_std, y_mean and y_std" in text and "average 0.01" in text
    bundle["teacher"]["prediction_scale"].update(mean=0.31, sd=0.05)  # its units are right: only weak
    assert "teacher_units" not in _keys(bundle) and "weak_teacher" in _keys(bundle)


def test_the_two_valued_note_quotes_the_delivered_model():
    """Review 14: with db5 kept by cross-validation, the note quoted AWD's accuracy and AUC."""
    from awd_studio.models.pipeline.trust import two_valued_words

    bundle = {"models": {"awd": {"test": {"accuracy": 0.8, "auc": 0.801}},
                         "baseline_wavelet": {"test": {"accuracy": 0.78, "auc": 0.797}}},
              "selection": {"choice": "initial"}, "wavelet": {"init": "db5"},
              "students": {"awd": {}, "baseline_wavelet": {}}}
    text = two_valued_words(bundle, [0.0, 1.0])
    assert "db5 (delivered) accuracy 0.780, AUC 0.797" in text and "0.801" not in text
    bundle["selection"]["choice"] = "awd"
    assert "AWD accuracy 0.800, AUC 0.801" in two_valued_words(bundle, [0.0, 1.0])


def test_the_series_features_note_tells_two_close_scores_apart():
    """Review 14: "better (R² 0.288) than … (0.288)"."""
    from awd_studio.models.pipeline.trust import trust_notes

    bundle = {"selection": {"series_features": {"chosen": "positions", "initial_cv_r2": {"positions": 0.28812,
                                                                                  "largest": 0.28779}}}}
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "series_features_chosen")
    assert "(R² 0.2881) than" in text and "(0.2878)" in text


def test_scores_on_few_samples_get_a_caution():
    """Review 18: 14 training and 4 test series printed an R² interval of 0.000 to 4.332 and a CV R² of −198 as
    findings."""
    small = {"data": {"kind": "timeseries", "n_train": 14, "n_test": 4}}
    assert _keys(small) == ["few_samples"]
    text = trust_notes(small)[0]["text"]
    assert text.startswith("Only 14 training and 4 test series") and "anecdotes" in text
    maps = {"data": {"kind": "image", "n_train": 320, "n_test": 24}}
    assert "test maps" in trust_notes(maps)[0]["text"]
    assert "few_samples" not in _keys({"data": {"kind": "timeseries", "n_train": 3153, "n_test": 788}})


def test_the_terminal_summary_prints_every_note_for_and_against_awd():
    """Review 19: the summary kept notes by key, printing "Distillation beat a search without the teacher" but not
    "A search without the teacher did better" or "every grid point ended at one filter"."""
    from awd_studio.models.pipeline.bundle import summary_text

    notes = [{"level": "warning", "key": "search_beats_awd", "text": "A search without the teacher did better."},
             {"level": "warning", "key": "grid_collapsed", "text": "Every grid point ended at the same filter."},
             {"level": "info", "key": "learned_is_known", "text": "The learned wavelet is essentially haar."},
             {"level": "success", "key": "awd_beats_search", "text": "Distillation beat a search."}]
    scores = {"test": {"r2": 0.5, "rmse": 1.0, "rmse_sd": 0.1}, "n_params": 30, "predict_seconds_per_sample": 1e-6}
    bundle = {"data": {"kind": "timeseries", "shape": [40], "n_train": 3000, "n_test": 800},
              "selected": {"lambda": 1e-3, "gamma": 0.1, "index": 0},
              "grid": [{"cv_score": 0.55, "start": "search", "start_distance_to_init": 0.216,
                        "distance_to_init": 0.213}],
              "teacher": {"name": "lstm", **scores}, "models": {"awd": scores}, "trust": {"notes": notes}}
    text = summary_text(bundle)
    for note in notes:
        assert f"{note['level']}: {note['text']}" in text
    assert ("its fit started from a filter the search on the teacher's attributions found, at relative distance "
            "0.216 from the initial wavelet, ended at relative distance 0.213 from it") in text


def test_a_best_point_level_with_gamma_zero_is_said_not_to_show_the_network():
    """Review 19: on the CME example AWD and AWD (γ = 0) were level on three seeds (0.576 and 0.578, ...), and by
    Help's own rule the wavelet should not be trusted; nothing said so."""
    level = {"selected": {"gamma": 0.1}, "selection": {"choice": "awd"},
             "verdict": {"interpretation_difference": {"metric": "r2", "estimate": -0.002, "low": -0.035,
                                                       "high": 0.028, "level": 0.95}}}
    note = next(n for n in trust_notes(level) if n["key"].startswith("interpretation"))
    assert note["key"] == "interpretation_no_gain" and note["level"] == "warning"
    assert "AWD − AWD (γ = 0) = -0.002 test R²" in note["text"] and "found without the teacher" in note["text"]
    better = {**level, "verdict": {"interpretation_difference": {"metric": "rmse", "estimate": -0.004,
                                                                 "low": -0.006, "high": -0.002, "level": 0.95}}}
    assert "interpretation_helped" in _keys(better)
    kept = {**level, "selection": {"choice": "initial"}}  # the initial wavelet is delivered: nothing to say of AWD
    assert not any(k.startswith("interpretation") for k in _keys(kept))
    assert not any(k.startswith("interpretation") for k in _keys({"selected": {"gamma": 0.0}}))


def test_a_fixed_filter_level_with_awd_is_said():
    """Review 38A: AWD beat db5 in green and nothing said that the best fixed filter by CV, the Roberts cross, was
    level with it on the test set (AWD − Roberts −0.0021, interval −0.0054 to +0.0012)."""
    check = {"name": "roberts_cross", "delivered": "awd", "leads": False, "cv_gain": 0.01, "cv_gain_se": 0.02,
             "cv_score": 0.8, "delivered_cv_score": 0.79, "search_cv_gain": 0.0, "search_cv_gain_se": 0.01,
             "test_difference": {"estimate": -0.0021, "low": -0.0054, "high": 0.0012, "level": 0.95,
                                 "metric": "rmse"}}
    bundle = {"data": {"kind": "image", "target_name": "Omega_m"}, "verdict": {"fixed_filter": check}}
    note = next(n for n in trust_notes(bundle) if n["key"] == "fixed_filter_level")
    assert note["level"] == "info" and "Roberts" in note["text"] and "-0.0054" in note["text"], note
    ahead = {**check, "test_difference": {**check["test_difference"], "low": -0.005, "high": -0.001}}
    for other in (ahead, {**check, "delivered": "baseline_wavelet"}, {**check, "leads": True}):
        assert "fixed_filter_level" not in _keys({**bundle, "verdict": {"fixed_filter": other}})


def test_a_verdict_that_helped_says_when_the_notes_find_no_part_of_the_teachers():
    """Review 38B: "AWD improves test R² over db5 by 0.063", in green, above notes saying that the attributions did
    not help (level with γ = 0) and that a search without the teacher did better: the verdict now ends saying the
    teacher's part is not shown. The keys it reads are the notes' own."""
    from awd_studio.models.pipeline.verdict import teacher_part_words

    level = {"selected": {"gamma": 0.01}, "selection": {"choice": "awd"},
             "verdict": {"helped": True, "interpretation_difference": {"metric": "r2", "estimate": 0.061,
                                                                       "low": -0.015, "high": 0.156, "level": 0.95}}}
    words = teacher_part_words(True, _keys(level))
    assert "the teacher's part in that is not shown: the best γ = 0 point" in words
    assert "search" not in words and teacher_part_words(False, _keys(level)) == ""
    better = {**level, "verdict": {"helped": True, "interpretation_difference": {
        "metric": "r2", "estimate": 0.06, "low": 0.02, "high": 0.1, "level": 0.95}}}
    assert teacher_part_words(True, _keys(better)) == ""
    assert "search of random wavelets" in teacher_part_words(True, ["search_beats_awd"])


def test_a_verdict_that_helped_with_an_unfit_teacher_says_it_explains_nothing_and_is_no_success():
    """Review 40C: "AWD improves test R² over db5 by 0.166", in green, above "the teacher (lstm) is weak: test R²
    -0.037". The verdict now ends saying the wavelet explains nothing of the network, and is not drawn as a success;
    the keys it reads are the notes' own."""
    from awd_studio.models.pipeline.verdict import TEACHER_UNFIT, helped_by_the_teacher, teacher_part_words

    weak = {"teacher": {"name": "lstm", "test": {"r2": -0.037}}, "selection": {"choice": "awd"},
            "verdict": {"helped": True}}
    keys = _keys(weak)
    assert "weak_teacher" in keys and set(TEACHER_UNFIT) & set(keys) == {"weak_teacher"}
    words = teacher_part_words(True, keys)
    assert "explains nothing of the network: the teacher itself predicts the target little" in words, words
    assert "teacher's part in that is not shown" not in words  # one sentence, the stronger
    assert helped_by_the_teacher(True, keys) is False and helped_by_the_teacher(None, keys) is None
    fit = {**weak, "teacher": {"name": "lstm", "test": {"r2": 0.8}}}
    assert teacher_part_words(True, _keys(fit)) == "" and helped_by_the_teacher(True, _keys(fit)) is True


def test_attributions_are_not_said_to_help_when_the_wavelet_moved_away_from_the_known_one():
    """Review 32B: from sym5 without the start search, the synthetic example's wavelet ended 0.304 from db5 (the
    wavelet that made the data) against 0.213 at the start, and a green note said the attributions helped."""
    moved = {"selected": {"gamma": 0.1}, "selection": {"choice": "awd"}, "teacher": {"test": {"r2": 0.9}},
             "wavelet": {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.304,
                         "init_distance_to_truth": 0.213},
             "verdict": {"interpretation_difference": {"metric": "r2", "estimate": 0.03, "low": 0.01, "high": 0.05}}}
    note = next(n for n in trust_notes(moved) if n["key"] == "interpretation_helped")
    assert note["level"] == "secondary" and "ended farther from it than its start sym5 (0.304 against 0.213" in note[
        "text"]
    closer = {**moved, "wavelet": {**moved["wavelet"], "distance_to_truth": 0.009}}
    assert next(n for n in trust_notes(closer) if n["key"] == "interpretation_helped")["level"] == "success"


def test_a_gain_under_half_a_percent_of_the_variance_is_said_to_be_small_not_shown_as_success():
    """Review 24B: a green "The teacher's attributions helped" for AWD − AWD (γ = 0) = 0.00058 R² (interval 0.00022
    to 0.00097) between two wavelets that had both ended near haar, beside a headline saying AWD did worse than db5.
    Review 25B: near R² = 1 a difference of 0.0035 R² halved the error, and was called small too."""
    interpretation = {"selected": {"gamma": 0.001}, "selection": {"choice": "awd"},
                      "models": {"awd": {"test": {"r2": 0.9646}}},
                      "verdict": {"interpretation_difference": {"metric": "r2", "estimate": 0.00058,
                                                                "low": 0.00022, "high": 0.00097, "level": 0.95}}}
    note = next(n for n in trust_notes(interpretation) if n["key"].startswith("interpretation"))
    assert note["key"] == "interpretation_small" and note["level"] == "secondary"
    assert "under half a percent of the test target's variance" in note["text"] and "0.00058" in note["text"]
    halved = {**interpretation, "models": {"awd": {"test": {"r2": 0.999}}},
              "verdict": {"interpretation_difference": {"metric": "r2", "estimate": 0.0035, "low": 0.003,
                                                        "high": 0.004, "level": 0.95}}}
    assert "interpretation_helped" in _keys(halved)
    # the same difference in RMSE: (0.0312² - 0.03²) / 0.1² = 0.0073 of the variance is not small, (0.0302² - 0.03²)
    # / 0.1² = 0.0012 (1.3 % of the larger error) is
    for step, key in ((-0.0012, "interpretation_helped"), (-0.0002, "interpretation_small")):
        rmse = {**interpretation, "models": {"awd": {"test": {"rmse": 0.03}}}, "data": {"test_target_sd": 0.1},
                "verdict": {"interpretation_difference": {"metric": "rmse", "estimate": step, "low": 1.5 * step,
                                                          "high": 0.5 * step, "level": 0.95}}}
        assert key in _keys(rmse)
    # without the target's SD an RMSE difference's size is unknown: not called small
    unknown = {**interpretation, "models": {"awd": {"test": {"rmse": 0.03}}},
               "verdict": {"interpretation_difference": {"metric": "rmse", "estimate": -0.0002, "low": -0.0003,
                                                         "high": -0.0001}}}
    assert "interpretation_helped" in _keys(unknown)
    control = {"models": {"awd": {"test": {"r2": 0.96}}}, "selection": {"random_search": {"n": 300,
               "test_difference": {"metric": "r2", "estimate": 0.001, "low": 0.0004, "high": 0.0016}}}}
    assert "awd_beats_search_small" in _keys(control)
    distilled = {"models": {"awd": {"test": {"r2": 0.96}}},
                 "verdict": {"test_difference": {"metric": "r2", "estimate": 0.002, "low": 0.001, "high": 0.003}}}
    assert "distillation_small" in _keys(distilled)


def test_the_notes_say_when_the_delivered_student_falls_well_short_of_the_teacher():
    """Review 24B: on the CME example the model delivered (db5's student) had test R² 0.566, the LSTM 0.795, and
    only two numbers in two cards said so."""
    cme = {"teacher": {"name": "lstm", "test": {"r2": 0.795}}, "selection": {"choice": "initial"},
           "wavelet": {"init": "db5"}, "students": {"baseline_wavelet": {}},
           "models": {"awd": {"test": {"r2": 0.581}}, "baseline_wavelet": {"test": {"r2": 0.566}}}}
    note = next(n for n in trust_notes(cme) if n["key"] == "student_behind_teacher")
    assert "initial wavelet (db5) student, has test R² 0.566, the teacher (lstm) 0.795" in note["text"]
    assert "few wavelet coefficients" in note["text"]
    maps = {**cme, "data": {"kind": "image"}}
    assert "Its peak counts capture part of" in next(n["text"] for n in trust_notes(maps)
                                                     if n["key"] == "student_behind_teacher")
    nothing = {**maps, "models": {"awd": {"test": {"r2": 0.1}}, "baseline_wavelet": {"test": {"r2": 0.017}}}}
    assert "capture little or nothing of what" in next(n["text"] for n in trust_notes(nothing)
                                                        if n["key"] == "student_behind_teacher")
    close = {**cme, "models": {"awd": {"test": {"r2": 0.78}}, "baseline_wavelet": {"test": {"r2": 0.77}}}}
    assert "student_behind_teacher" not in _keys(close)
    weak = {**cme, "teacher": {"name": "lstm", "test": {"r2": 0.05}},
            "models": {"baseline_wavelet": {"test": {"r2": -0.2}}}}
    assert "student_behind_teacher" not in _keys(weak)  # a weak teacher has its own note


def test_a_student_whose_terms_cancel_is_said_to_be_read_as_a_whole():
    """Review 24B's data: db5's fixed-positions student (the model delivered) had weights up to 2.3e5 on
    coefficients that move together. The note reads the record's term_variance_ratio (the terms' variances over
    their sum's): review 25B showed the first measure, summed |weight| × SD over the target's SD, grow with the
    number of independent terms (12 for 160 of them, all weights positive)."""
    bundle = {"selection": {"choice": "initial"}, "wavelet": {"init": "db5"},
              "students": {"baseline_wavelet": {"parameters": {"term_variance_ratio": 236.4,
                                                               "features": [{}] * 30}}, "awd": {}}}
    note = next(n for n in trust_notes(bundle) if n["key"] == "student_terms_cancel")
    assert note["level"] == "warning" and "initial wavelet (db5) student's terms largely cancel" in note["text"]
    assert "the variances of its 30 terms add up to 236 times the variance of its predictions" in note["text"]
    for ratio in (1.0, 9.5, None):
        bundle["students"]["baseline_wavelet"]["parameters"]["term_variance_ratio"] = ratio
        assert "student_terms_cancel" not in _keys(bundle)


def test_the_terms_variance_ratio_is_one_for_independent_terms_and_large_for_cancelling_ones():
    from awd_studio.models.pipeline.student_params import term_variance_ratio

    rng = np.random.default_rng(0)
    independent = rng.normal(size=(2000, 160))  # review 25B's false alarm: 160 terms, every weight positive
    assert 0.9 < term_variance_ratio(independent, rng.uniform(0.5, 2.0, 160)) < 1.1
    shared = rng.normal(size=(2000, 1))
    pair = np.c_[shared + 0.01 * rng.normal(size=(2000, 1)), shared]
    assert term_variance_ratio(pair, np.array([300.0, -300.0])) > 1000
    assert term_variance_ratio(np.ones((10, 2)), np.array([1.0, 2.0])) is None  # a constant prediction


def test_single_scores_on_a_handful_of_test_samples_are_not_compared_as_findings():
    """Review 26A: on 8 test series the notes compared single scores ("AWD beats its own teacher. Likely reason:
    the teacher is under-fit") and the verdict called AWD significantly worse."""
    from awd_studio.models.pipeline.verdict import verdict_text

    few = {"data": {"kind": "timeseries", "n_train": 32, "n_test": 8},
           "teacher": {"name": "lstm", "test": {"r2": 0.2}},
           "models": {"awd": {"test": {"r2": 0.5}}, "baseline_wavelet": {"test": {"r2": 0.6}}}}
    assert _keys(few) == ["few_samples"]
    assert "awd_beats_teacher" in _keys({**few, "data": {**few["data"], "n_train": 400, "n_test": 100}})
    text = verdict_text("initial", {"estimate": -0.45, "low": -0.84, "high": -0.07, "level": 0.95}, "db5", n_test=8)
    assert text.startswith("Only 8 test samples") and "worse" not in text and "unreliable" in text
    assert "db5, is the one cross-validation chose" in text


def test_notes_under_a_verdict_that_found_awd_worse_or_a_weak_teacher_do_not_cheer_or_point_to_it():
    """Review 26A: a green "Distillation beat a search without the teacher" under "AWD is worse than db5", and a
    γ = 0 note pointing to the teacher's grid points when the teacher had test R² 0.002."""
    worse = {"models": {"awd": {"test": {"r2": 0.5}}}, "wavelet": {"init": "db5"},
             "verdict": {"metric": "r2", "text": "AWD is worse than db5 ...",
                         "test_difference": {"estimate": -0.05, "low": -0.08, "high": -0.02}},
             "selection": {"random_search": {"n": 300, "test_difference": {"metric": "r2", "estimate": 0.05,
                                                                            "low": 0.02, "high": 0.08}}}}
    note = next(n for n in trust_notes(worse) if n["key"] == "awd_beats_search")
    assert note["level"] == "secondary" and "both do worse than db5's student" in note["text"]
    worse["verdict"]["test_difference"] = {"estimate": 0.05, "low": 0.02, "high": 0.08}
    assert next(n for n in trust_notes(worse) if n["key"] == "awd_beats_search")["level"] == "success"
    # review 32B: shuffled CME targets (every model's test R² within 0.015 of 0) gave a green "Distillation beat a
    # search" beside "the teacher is weak": the search's best of 300 had fitted noise
    for nothing in ({"teacher": {"test": {"r2": -0.002}}}, {"verdict": {"no_skill": True}}):
        null = {**worse, "verdict": {**worse["verdict"], **nothing.get("verdict", {})}, **(
            {"teacher": nothing["teacher"]} if "teacher" in nothing else {})}
        note = next(n for n in trust_notes(null) if n["key"] == "awd_beats_search")
        assert note["level"] == "secondary" and "little or no skill is not evidence" in note["text"], note
        helped = {**null, "selected": {"gamma": 0.1}, "selection": {"choice": "awd"},
                  "verdict": {**null["verdict"], "interpretation_difference": {"metric": "r2", "estimate": 0.03,
                                                                               "low": 0.01, "high": 0.05}}}
        note = next(n for n in trust_notes(helped) if n["key"] == "interpretation_helped")
        assert note["level"] == "secondary" and not note["text"].startswith("The teacher's attributions helped")
    plain = {"selected": {"gamma": 0.0}, "teacher": {"name": "mlp", "test": {"r2": 0.002}}}
    note = trust_notes(plain)[0]
    assert note["key"] == "selected_without_teacher" and "look at the grid's points" not in note["text"]
    assert "weak here" in note["text"]


def test_tiled_maps_are_counted_as_maps_and_a_weak_selection_check_is_named():
    """Review 27A: the notes said "80 training and 40 test maps" for 20 and 10 tiled maps, beside a verdict that
    counted 10, and AWD chosen on 2 folds carried no word on how weak the selection's check is there."""
    tiled = {"data": {"kind": "image", "n_train": 80, "n_test": 40, "train_maps": 20, "test_maps": 10},
             "teacher": {"name": "cnn", "test": {"r2": 0.6}},
             "models": {"awd": {"test": {"r2": 0.3}}, "laplace": {"test": {"r2": 0.5}}},
             "selection": {"choice": "awd", "rule": "one_se", "folds": 2, "repeats": 3, "n_candidates": 19}}
    notes = {n["key"]: n["text"] for n in trust_notes(tiled)}
    assert notes["few_samples"].startswith("Only 20 training and 10 test maps")
    assert "baseline_beats_awd" not in notes and "student_behind_teacher" not in notes  # 10 maps: anecdotes
    assert notes["weak_selection_check"].startswith("Cross-validation chose AWD with 2 folds × 3 repeats")
    tiled["selection"]["choice"] = "initial"
    assert "weak_selection_check" not in _keys(tiled)


def test_a_series_result_without_the_control_says_why():
    """Review 29B: 800 tracks got no teacher-free control (it is off below 1000 series) and nothing said so."""
    bundle = {"data": {"kind": "timeseries", "n_train": 640, "n_test": 160},
              "provenance": {"config": {"random_search": 0}}, "models": {"awd": {"test": {"r2": 0.3}}}}
    note = {n["key"]: n for n in trust_notes(bundle)}["no_control"]
    assert note["level"] == "info" and "on fewer than 1000 series it is off unless asked for" in note["text"]
    bundle["data"].update(n_train=2400, n_test=600)  # many series with 0: asked for, nothing to explain
    assert "no_control" not in {n["key"] for n in trust_notes(bundle)}


def test_the_notes_come_in_one_fixed_order():
    """trust_notes concatenates one helper's notes after another's: a bundle that draws twenty notes at once pins
    the order the results page shows them in (a helper moved in the sequence fails here)."""
    haar = list(np.r_[pywt.Wavelet("haar").rec_lo, np.zeros(8)])
    same = {"metric": "r2", "estimate": 0.03, "low": 0.01, "high": 0.05}
    bundle = {
        "data": {"kind": "timeseries", "n_train": 400, "n_test": 100, "two_values": [0.0, 1.0],
                 "padded_rows": {"count": 3, "of": 400, "shortest": 9, "length": 60}},
        "cv": {"grouping": "tiles", "constant_target_folds": 2, "folds": 2, "repeats": 3},
        "teacher": {"name": "cnn", "test": {"r2": 0.3}, "epochs_run": 50, "epoch_cap": 50, "best_epoch": 50,
                    "validation_mse": {"cnn": 0.01, "mlp": 0.02}},
        "models": {"awd": {"test": {"r2": 0.5}}, "laplace": {"test": {"r2": 0.6}}},
        "students": {"awd": {"parameters": {"term_variance_ratio": 41.6, "features": [{}] * 30}}},
        "selected": {"gamma": 0.0, "index": 0},
        "selection": {"choice": "awd", "rule": "one_se", "folds": 2, "repeats": 3, "n_candidates": 19,
                      "random_search": {"n": 300, "test_difference": {"metric": "r2", "estimate": -0.03,
                                                                      "low": -0.05, "high": -0.01}},
                      "series_features": {"chosen": "positions", "initial_cv_r2": {"positions": 0.29,
                                                                                    "largest": 0.2}}},
        "verdict": {"test_difference": same, "interpretation_difference": same},
        "wavelet": {"init": "db5", "h": haar, "nearest_known": {"name": "haar", "distance": 0.0}},
        "grid": [{"h": haar}, {"h": haar}],
        "scattering": {"panel": {"curve": {"score": [-0.03], "score_se": [0.01], "chosen": 0}}, "best_epoch": 0,
                       "val_score": [0.531, 0.511]}}
    assert _keys(bundle) == [
        "selected_without_teacher", "padded_traces", "weak_selection_check", "two_valued_target", "tiles_in_folds",
        "constant_cv_folds", "teacher_below_baseline", "teacher_at_cap", "baseline_beats_awd", "awd_beats_teacher",
        "student_terms_cancel", "distillation_helped", "interpretation_helped", "search_beats_awd",
        "learned_is_known", "grid_collapsed", "teacher_chosen", "series_features_chosen", "scattering_no_skill",
        "scattering_training_no_gain"]


def test_terms_that_are_mixes_of_the_other_terms_are_named_with_their_weights_not_identified():
    """Review 51D: db5's fixed-positions student on the synthetic example had 30 features of rank 27, and three of
    its terms (mixes of the others to R² 1.000000, 0.99937, 0.99919) were ranked 4th to 7th by influence."""
    import numpy as np

    from awd_studio.models.pipeline.student_params import redundancy

    rng = np.random.default_rng(5)
    base = rng.normal(size=(500, 4))
    features = np.c_[base, base[:, 0] - base[:, 1] + 1e-4 * rng.normal(size=500), np.zeros(500)]
    shares = redundancy(features)
    assert shares[4] > 0.999 and shares[0] > 0.999 and np.isnan(shares[5])  # the mix and the terms it mixes
    assert shares[2] < 0.05 and shares[3] < 0.05  # independent of the rest
    labels = ["cD3[4]", "cD3[5]", "cD2[1]", "cD2[7]", "cA4[5]", "cA4 (padding)"]
    features = [{"label": label, **({"redundancy": float(r)} if np.isfinite(r) else {})}
                for label, r in zip(labels, shares)]
    bundle = {"students": {"awd": {"parameters": {"features": features}}}, "selection": {"choice": "awd"}}
    note = next(n for n in trust_notes(bundle) if n["key"] == "student_terms_redundant")
    assert note["level"] == "warning"
    assert note["text"].startswith("3 of the AWD student's 6 terms are nearly mixes of its other terms on the "
                                   "training series (R² of at least 0.99: cD3[4], cD3[5], cA4[5])")
    assert "mode" not in note["text"]
    bundle["students"]["awd"]["parameters"]["mode"] = "zero"  # the coarse levels are overcomplete: said why
    note = next(n for n in trust_notes(bundle) if n["key"] == "student_terms_redundant")
    assert "cA4[5]) (in zero mode a coarse level holds more coefficients than the values it is computed from" in \
        note["text"]
    for feature in features:
        feature.pop("redundancy", None)
    assert "student_terms_redundant" not in _keys(bundle)  # bundles written before: nothing said


def test_a_collapsed_grid_and_a_student_reading_the_padding_are_said_beside_its_gains():
    """Review 39B: on the CME example a green "the teacher's attributions helped" stood beside "every grid point ended
    at the same filter" and "try λ above the grid's", and the AWD student's lead over db5 rested on 10 terms reading
    mostly the zero padding (37 % of its influence; held at their mean, test R² 0.606 -> 0.521, below db5's 0.565)."""
    haar = list(np.r_[pywt.Wavelet("haar").rec_lo, np.zeros(8)])
    near = list(np.asarray(haar) + 1e-4)
    inside = [{"weight": 1.0, "sd": 1.0, "in_series": 0.9}] * 20
    padding = [{"weight": -600.0, "sd": 1e-3, "in_series": 0.02}] * 10
    same = {"metric": "r2", "estimate": 0.018, "low": 0.002, "high": 0.033}
    bundle = {"data": {"kind": "timeseries", "n_train": 2936, "n_test": 1005},
              "teacher": {"name": "mlp", "test": {"r2": 0.7}}, "models": {"awd": {"test": {"r2": 0.606}}},
              "selection": {"choice": "awd"}, "selected": {"index": 5, "lambda": 5e-3, "gamma": 0.1},
              "verdict": {"interpretation_difference": same},
              "grid": [{"h": near if i == 5 else haar, "lambda": lam, "gamma": gam}
                       for i, (lam, gam) in enumerate((lam, gam) for lam in (1e-4, 5e-3) for gam in (0.0, 1e-3, 0.1))],
              "students": {"awd": {"parameters": {"features": inside + padding}}},
              "provenance": {"config": {"levels": 4}}}
    notes = {n["key"]: n for n in trust_notes(bundle)}
    assert "grid_collapsed" in notes and "best_at_grid_edge" not in notes
    helped = notes["interpretation_helped"]
    assert helped["level"] == "secondary" and "every grid point ended at the same filter" in helped["text"]
    assert "student_reads_beyond_ends" not in notes  # 10 x 0.6 of 20 x 1 + 6: 23 %, below the note's 25 %
    bundle["students"]["awd"]["parameters"]["features"] = inside[:10] + padding
    beyond = {n["key"]: n for n in trust_notes(bundle)}["student_reads_beyond_ends"]
    text = beyond["text"]
    assert beyond["level"] == "warning"
    assert text.startswith("10 of the AWD student's 20 terms read mostly beyond the series' ends and carry 38 % of")
    assert "fewer levels (this run used 4)" in text
    assert "Rerunning the job with this version leaves out the coefficients that read under 1 %" in text  # no left_out
    bundle["students"]["awd"]["parameters"]["left_out"] = [[0, 9], [0], [], [], []]  # written since 2026-12-06:
    text = {n["key"]: n for n in trust_notes(bundle)}["student_reads_beyond_ends"]["text"]  # terms reading 1-10 %
    assert text.endswith("Fewer levels (this run used 4) read less padding.") and "Rerunning" not in text
    del bundle["students"]["awd"]["parameters"]["left_out"]
    bundle["grid"][0]["h"] = list(np.asarray(haar) + 0.05)  # the grid spread: a γ = 0.1 lead is the teacher's again
    notes = {n["key"]: n for n in trust_notes(bundle)}
    assert notes["interpretation_helped"]["level"] == "success" and "best_at_grid_edge" in notes


def test_test_targets_seen_in_training_are_said_with_what_the_scores_measure():
    """Review 38A: nothing said the lensing example's test maps share the training maps' 10 cosmologies, where
    the chi² student picks one of them and cannot predict any other value."""
    from awd_studio.models.metrics import seen_target_rows
    grid = np.array([[0.2 + 0.02 * k, 0.9 - 0.02 * k] for k in range(10)])
    assert seen_target_rows(np.repeat(grid, 12, axis=0), grid[[0, 3, 3, 9]]) == 10
    assert seen_target_rows(np.repeat(grid, 12, axis=0), np.r_[grid[:2], [[0.5, 0.5]]]) is None  # a new value
    assert seen_target_rows(np.linspace(0, 1, 100), np.linspace(0, 1, 20)) is None  # continuous targets
    assert seen_target_rows([0, 1, 1, 0], [1, 0]) is None  # a class label: the two-valued note's
    bundle = {"data": {"kind": "image", "n_train": 1200, "n_test": 300, "seen_targets": 10},
              "students": {"awd": {"parameters": {"method": "chi2"}}}, "models": {"awd": {"test": {"r2": 0.8}}}}
    note = {n["key"]: n for n in trust_notes(bundle)}["seen_targets"]
    assert note["level"] == "info" and "one of the 10 target values of the training maps" in note["text"]
    assert "pick the nearest of those 10 values (chi²), so they cannot predict any other" in note["text"]
    bundle["students"]["awd"]["parameters"]["method"] = "ridge"
    assert "pick the nearest" not in {n["key"]: n for n in trust_notes(bundle)}["seen_targets"]["text"]
    bundle["data"]["two_values"] = [0.0, 1.0]  # a class label has its own note
    assert "seen_targets" not in {n["key"] for n in trust_notes(bundle)}


def test_test_targets_seen_in_training_are_said_for_many_cosmologies_and_not_for_continuous_targets():
    """Review 42A: 80 cosmologies drawn at random, about 7 maps each, every test map's row among the training maps',
    went unnoticed (a limit of 50 rows); a continuous target, even with a few equal values, must stay quiet."""
    from awd_studio.models.metrics import seen_target_rows
    rng = np.random.default_rng(0)
    cosmologies = np.c_[rng.uniform(0.2, 0.4, 80), rng.uniform(0.6, 1.0, 80)]
    maps = np.repeat(cosmologies, 7, axis=0)[rng.permutation(560)]
    test = np.isin(np.arange(560), rng.choice(560, 112, replace=False))
    assert set(map(tuple, maps[test])) <= set(map(tuple, maps[~test]))  # the draw: every test row seen in training
    assert seen_target_rows(maps[~test], maps[test]) == 80
    # one training map per cosmology, the others in the test split: the rows repeat across the splits
    assert seen_target_rows(cosmologies, np.repeat(cosmologies, 2, axis=0)) == 80
    assert seen_target_rows(maps[~test], np.r_[maps[test], [[0.3, 0.7]]]) is None  # one new cosmology
    y = rng.normal(size=1000)
    assert seen_target_rows(y[:800], y[800:]) is None  # continuous: every value distinct
    y[800:803] = y[:3]  # three test values equal to training ones by accident
    assert seen_target_rows(y[:800], y[800:]) is None
    assert seen_target_rows(y[:800], y[800:803]) is None  # even a test split of only those: 3 of 800 rows repeat
    bundle = {"data": {"kind": "image", "n_train": 448, "n_test": 112, "seen_targets": 80},
              "students": {"awd": {"parameters": {"method": "ridge"}}}, "models": {"awd": {"test": {"r2": 0.6}}}}
    text = {n["key"]: n for n in trust_notes(bundle)}["seen_targets"]["text"]
    assert text.startswith("Every test map has one of the 80 target values of the training maps (e.g. a grid or a "
                           "set of cosmologies): the test scores measure new maps of parameters seen in training")
    assert "pick the nearest" not in text  # a ridge student (more than 20 rows) predicts numbers between them


def test_rows_left_out_for_missing_values_get_a_caution_beside_the_verdict():
    """Review 38: "leave out the rows with missing values" dropped 589 of 2000 traces (those that ended early, often
    another population: abortive events) and only the provenance said so, while filled ends had a caution."""
    bundle = {"data": {"kind": "timeseries", "dropped_rows": {"count": 589, "of": 2000, "rows": ["line 5 (trk3)"]}},
              "models": {"awd": {"test": {"r2": 0.5}}}}
    note = next(n for n in trust_notes(bundle) if n["key"] == "dropped_rows")
    assert note["level"] == "warning"
    assert note["text"].startswith("589 of 2000 rows (29 %) with missing values were left out before training: the "
                                   "model has not seen traces like them."), note["text"]
    assert "abortive event" in note["text"] and "do not apply to such traces" in note["text"]
    # review 44: "upload the file again with “Fill the ends with zeros”" whatever the rows lacked, in the page's words
    # alone: filling the ends keeps only traces that ended early, and the option is named for every interface
    assert ("distil again with the pad-ends option (awd distill --pad-ends, pad_ends=true in the API, “Fill the ends "
            "with zeros” on the upload page)") in note["text"], note["text"]
    assert "a gap inside its trace, no target or a cell that is not a number, filling the ends cannot keep it" in \
        note["text"], note["text"]
    assert "dropped_rows" not in _keys({**bundle, "data": {"kind": "timeseries"}})
    assert "dropped_rows" not in _keys({**bundle, "data": {"dropped_rows": {"count": 0, "of": 2000}}})


def test_shares_of_rows_and_traces_do_not_round_a_few_to_zero():
    """Review 42C: "3 of 1000 rows (0 %)" and "4 of the 997 traces (0 %)"."""
    from awd_studio.models.pipeline.trust import dropped_words, padded_words, share_words
    assert dropped_words({"count": 3, "of": 1000}).startswith("3 of 1000 rows (0.3 %) with missing values")
    assert padded_words({"count": 4, "of": 997, "shortest": 30, "length": 40}).startswith(
        "4 of the file's 997 traces (0.4 %) ended early")
    assert dropped_words({"count": 2, "of": 50}).startswith("2 of 50 rows (4 %)")  # exact: no ".0"
    assert dropped_words({"count": 3, "of": 40_000}).startswith("3 of 40000 rows (under 0.1 %)")
    assert [share_words(c, 1000) for c in (99, 100, 589, 999)] == ["9.9 %", "10 %", "59 %", "99.9 %"]
    assert share_words(39_999, 40_000) == "over 99.9 %" and share_words(0, 5) == "0 %"


def test_a_best_point_at_the_edge_of_the_grid_says_a_better_one_may_lie_beyond():
    """Review 32A: the σ₈ run chose the smallest λ (0.005) and the largest γ (0.05) of its grid, and nothing said
    that the optimum may lie outside it."""
    grid = [{"lambda": lam, "gamma": gam} for lam in (0.005, 0.01, 0.02) for gam in (0.0, 0.001, 0.05)]
    corner = {"grid": grid, "selected": {"lambda": 0.005, "gamma": 0.05}, "selection": {"choice": "awd"}}
    note = next(n for n in trust_notes(corner) if n["key"] == "best_at_grid_edge")
    assert note["level"] == "info"
    assert "the smallest λ (0.005; try values below it) and the largest γ (0.05; try values above it)" in note["text"]
    inside = {**corner, "selected": {"lambda": 0.01, "gamma": 0.001}}
    assert "best_at_grid_edge" not in _keys(inside)
    assert "best_at_grid_edge" not in _keys({**corner, "selected": {"lambda": 0.01, "gamma": 0.0}})  # γ = 0: no edge
    assert "best_at_grid_edge" not in _keys({**corner, "selection": {"choice": "initial"}})  # not delivered
    assert "largest λ (0.02" in next(n["text"] for n in trust_notes({**corner, "selected": {"lambda": 0.02,
                                                                                             "gamma": 0.001}}))


def test_a_best_point_at_the_edge_of_a_flat_cross_validation_surface_says_nothing_of_beyond():
    """Review 51D: on the synthetic example from sym5 the best point (λ 1e-3, γ 1) led its neighbour inside the grid
    (γ 0.01) by about 1e-6 of CV R², with a fold SD of 7e-5, and the page said a better point may lie beyond the
    largest γ. The edge is said only where cross-validation still climbs towards it."""
    lambdas, gammas = (1e-4, 1e-3), (0.0, 0.01, 1.0)
    grid = [{"lambda": lam, "gamma": gam, "cv_score": 0.999147, "cv_score_sd": 7e-5}
            for lam in lambdas for gam in gammas]
    best = 5  # λ 1e-3 (the largest), γ 1 (the largest)
    grid[best]["cv_score"] = 0.999148
    flat = {"grid": grid, "selected": {"index": best, "lambda": 1e-3, "gamma": 1.0},
            "selection": {"choice": "awd", "folds": 5, "repeats": 3}}
    assert "best_at_grid_edge" not in _keys(flat)
    grid[4]["cv_score"] = 0.9985  # γ 0.01 well below: the score climbs towards the largest γ, not λ (grid[2] level)
    note = next(n for n in trust_notes(flat) if n["key"] == "best_at_grid_edge")
    assert "the largest γ (1; try values above it)" in note["text"] and "λ" not in note["text"].split(":")[1][:20]


def test_a_map_student_that_picks_classes_says_why_it_can_beat_its_teacher():
    """Review 32A: on the lensing example the χ² student predicts one of the training suite's cosmologies, exact on
    82 % of the test maps of those same cosmologies, and the note blamed an under- or over-fit teacher."""
    bundle = {"teacher": {"name": "cnn", "test": {"r2": 0.859}}, "models": {"awd": {"test": {"r2": 0.908}}},
              "students": {"awd": {"parameters": {"method": "chi2", "classes": [[0.3, 0.8]] * 10}}}}
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "awd_beats_teacher")
    assert "one of the 10 target rows of the training maps" in text and "under-fit" not in text
    ridge = {**bundle, "students": {"awd": {"parameters": {"method": "ridge"}}}}
    assert "under-fit" in next(n["text"] for n in trust_notes(ridge) if n["key"] == "awd_beats_teacher")


def test_a_distilled_explanation_no_sparser_than_the_initial_wavelets_says_so():
    """Review 32A: AWD's compression factor 0.920 beside db5's 0.917 ("lower means sparser"), unremarked."""
    bundle = {"wavelet": {"init": "db5"}, "selection": {"choice": "awd"},
              "models": {"awd": {"compression_factor": 0.920}, "baseline_wavelet": {"compression_factor": 0.917}}}
    text = next(n["text"] for n in trust_notes(bundle) if n["key"] == "compression_no_gain")
    assert "no sparser than db5's: compression factor 0.920 against 0.917" in text
    sparser = {**bundle, "models": {**bundle["models"], "awd": {"compression_factor": 0.6}}}
    assert "compression_no_gain" not in _keys(sparser)
    assert "compression_no_gain" not in _keys({**bundle, "selection": {"choice": "initial"}})


def test_a_significant_interval_never_prints_a_bound_as_zero():
    """Review 39D: "AWD improves test R² over db5 by 0.010 (95 % interval 0.000 to 0.021)" read as an interval
    touching 0 while it excluded it; the bound nearest 0 keeps one significant digit, in the notes too."""
    from awd_studio.models.pipeline.verdict import verdict_text

    text = verdict_text("awd", {"estimate": 0.010, "low": 0.0004, "high": 0.021, "level": 0.95}, "db5")
    assert "interval 0.0004 to 0.0210" in text and "0.000 " not in text
    rmse = verdict_text("awd", {"estimate": -0.006, "low": -0.0121, "high": -0.00002, "level": 0.95}, "db5",
                        metric="rmse")
    assert "-0.00002" in rmse and "-0.0000 " not in rmse and "-0.0000)" not in rmse
    level = verdict_text("awd", {"estimate": 0.010, "low": -0.0004, "high": 0.021, "level": 0.95}, "db5")
    assert "interval -0.000 to 0.021" in level  # a tie not excluded: the sentence's own digits


def test_a_tie_with_the_control_is_not_called_the_search_leading():
    """Review 39D: on maps the class students can predict alike, and an RMSE difference of exactly 0 read "AWD's test
    RMSE equals the search's ... The search leads on both numbers shown"."""
    bundle = {"data": {"kind": "image", "n_train": 1200, "n_test": 300, "test_target_sd": 0.06},
              "teacher": {"name": "cnn", "test": {"r2": 0.8}}, "models": {"awd": {"test": {"r2": 0.7, "rmse": 0.03}}},
              "selected": {"gamma": 0.01},
              "selection": {"choice": "awd", "awd_cv_score": 0.70, "random_search": {
                  "n": 300, "cv_score": 0.72, "test_difference": {"estimate": 0.0, "low": 0.0, "high": 0.0,
                                                                  "level": 0.95, "metric": "rmse"}}}}
    text = next(n["text"] for n in trust_notes(bundle) if "search" in n["key"])
    assert "equals the search's" in text and "leads on both" not in text


def test_an_uploaded_teacher_of_constant_output_is_said_to_be_constant():
    """Review 39A: a teacher whose output for sigma_8 was 0.8 for every map was called one "at another scale" (its
    mean equals the target's), then, once the units check knew better, merely weak."""
    bundle = {"data": {"kind": "image", "n_train": 1200, "n_test": 300, "target_name": "sigma_8"},
              "teacher": {"name": "uploaded (exported program)", "test": {"r2": -1.6e-14},
                          "prediction_scale": {"mean": 0.8, "sd": 0.0, "target_mean": 0.8029, "target_sd": 0.0939}},
              "models": {"awd": {"test": {"r2": 0.5}}}}
    notes = {n["key"]: n for n in trust_notes(bundle)}
    assert "weak_teacher" not in notes and "teacher_units" not in notes
    assert notes["teacher_constant"]["level"] == "danger"
    assert notes["teacher_constant"]["text"].startswith("On the test set, the teacher’s output for “sigma_8” is 0.8")


def test_the_pages_share_words_follow_the_notes():
    """The frontend keeps its own copy of the notes' percentage rule (it imports nothing from models): both give the
    same words for every count of a few totals, so the page and the result never round one share two ways."""
    from awd_studio.frontend.figures.style import share_words as page_words
    from awd_studio.models.pipeline.trust import share_words as note_words

    for total in (7, 40, 997, 1000, 99_700):
        for count in sorted({*range(0, min(total, 120) + 1), total - 3, total - 1, total}):
            assert page_words(count, total) == note_words(count, total), (count, total)


def _distilled(teacher, awd_r2=0.312, difference=None, choice="awd"):
    """A series bundle as finalize holds it before the verdict's last words: its verdict sentence
    (:func:`verdict_text`), the trust notes of its scores, and the verdict text those notes give
    (:func:`verdict_with_teacher`)."""
    from awd_studio.models.pipeline.verdict import verdict_text, verdict_with_teacher

    difference = difference or {"estimate": 0.011, "low": -0.019, "high": 0.041, "level": 0.95, "metric": "r2"}
    bundle = {"data": {"kind": "timeseries", "n_train": 800, "n_test": 200}, "teacher": teacher,
              "wavelet": {"init": "db5"}, "selection": {"choice": choice},
              "models": {"awd": {"test": {"r2": awd_r2}}, "baseline_wavelet": {"test": {"r2": awd_r2 - 0.011}}},
              "verdict": {"text": verdict_text(choice, difference, "db5"), "choice": choice, "metric": "r2",
                          "test_difference": difference, "helped": False, "no_skill": False}}
    bundle["trust"] = {"notes": trust_notes(bundle)}
    return bundle, verdict_with_teacher(bundle)


def test_a_verdict_on_an_uploaded_teacher_without_skill_leads_with_it():
    """A review uploaded an untrained MLP (.pt2) as the teacher: the headline read "No significant gain over db5 …
    cross-validation preferred AWD, the model delivered here, but db5 may do as well", and only a red note below said
    that the teacher's test R² was -0.485. The verdict now opens with the teacher's lack of skill (the weak-teacher
    rule, test R² below WEAK_TEACHER_R2), says what the delivered student's score is worth, then compares."""
    from awd_studio.models.pipeline.trust import WEAK_TEACHER_R2
    from awd_studio.models.pipeline.verdict import WEAK_TEACHER_R2 as verdict_threshold
    from awd_studio.models.pipeline.verdict import helped_by_the_teacher

    assert WEAK_TEACHER_R2 == verdict_threshold == 0.1  # one rule for the note and the verdict
    uploaded = {"name": "uploaded (exported program)", "test": {"r2": -0.485},
                "upload": {"file_name": "untrained.pt2", "format": "exported program", "sha256": "0" * 64}}
    bundle, text = _distilled(uploaded)
    assert "weak_teacher" in [n["key"] for n in bundle["trust"]["notes"]]
    assert text.startswith("The uploaded teacher has little or no skill on the test set (test R² -0.485, below 0.1; "
                           "worse than predicting the mean): the wavelet distilled from it explains nothing the "
                           "network learned. The model delivered, the AWD student, predicts with test R² 0.312: a "
                           "score to judge it by as a predictor, not as an explanation of the network. What follows "
                           "compares the wavelets as predictors only. No significant gain over db5 on the test set "
                           "(AWD − db5 = 0.011 R²"), text
    assert text.endswith("cross-validation preferred AWD, the model delivered here, but db5 may do as well.")
    # a teacher the job trained is "the teacher"; a student without skill either is not offered as a predictor
    trained = {"name": "mlp", "test": {"r2": 0.04}, "epochs_run": 12, "epoch_cap": 200, "best_epoch": 3}
    _, text = _distilled(trained, awd_r2=0.06)
    assert text.startswith("The teacher has little or no skill on the test set (test R² 0.040, below 0.1): ")
    assert "The model delivered, the AWD student, predicts little either (test R² 0.060)." in text
    # the initial wavelet kept: its student is the model delivered
    _, text = _distilled(uploaded, choice="initial",
                         difference={"estimate": -0.002, "low": -0.01, "high": 0.006, "level": 0.95, "metric": "r2"})
    assert "The model delivered, db5's student (the initial wavelet), predicts with test R² 0.301" in text
    assert text.index("little or no skill") < text.index("No significant gain over db5: use db5")
    # a gain over db5 keeps its numbers but is not drawn as a success, and says "explains nothing" once
    gain = {"estimate": 0.166, "low": 0.1, "high": 0.23, "level": 0.95, "metric": "r2"}
    bundle, text = _distilled(uploaded, awd_r2=0.5, difference=gain)
    assert "AWD improves test R² over db5 by 0.166" in text and text.count("explains nothing") == 1
    assert helped_by_the_teacher(True, [n["key"] for n in bundle["trust"]["notes"]]) is False


def test_a_verdict_where_no_model_predicts_says_the_teacher_first_and_offers_no_predictor():
    """Beside the verdict's own "No model here predicts the target usefully", the lead names the teacher only."""
    from awd_studio.models.pipeline.verdict import no_skill_words, verdict_with_teacher

    bundle, _ = _distilled({"name": "uploaded (mlp)", "test": {"r2": -0.3}, "upload": {"file_name": "w.pt"}},
                           awd_r2=0.01)
    bundle["verdict"].update(no_skill=True, text=no_skill_words(0.01) + bundle["verdict"]["text"])
    text = verdict_with_teacher(bundle)
    assert text.startswith("The uploaded teacher has little or no skill on the test set (test R² -0.300")
    assert "network learned. No model here predicts the target usefully" in text
    assert "The model delivered" not in text and "What follows compares the wavelets" not in text


def test_a_verdict_on_a_teacher_with_skill_is_unchanged():
    """A teacher at or above the weak-teacher threshold, or on a constant test target (where every R² is
    undefined and no teacher note is given), leaves the verdict sentence as :func:`verdict_text` gave it."""
    from awd_studio.models.pipeline.verdict import verdict_with_teacher

    for r2 in (0.1, 0.85):
        bundle, text = _distilled({"name": "lstm", "test": {"r2": r2}, "epochs_run": 40, "epoch_cap": 200,
                                   "best_epoch": 20}, awd_r2=0.8)
        assert text == bundle["verdict"]["text"] and text.startswith("No significant gain over db5 on the test set")
    constant, text = _distilled({"name": "lstm", "test": {"r2": 0.0}})
    constant["data"]["test_target_sd"] = 0.0
    constant["trust"] = {"notes": trust_notes(constant)}
    assert verdict_with_teacher(constant) == constant["verdict"]["text"]


def test_uploaded_weights_that_score_below_their_student_are_not_told_to_train_longer():
    """The review's untrained upload: the note "AWD beats its own teacher" gave as the likely reason "the teacher is
    under-fit (too few epochs)", which the job, having trained nothing, cannot have caused. Uploaded weights are
    told to check their file against the data, or to let the job train a teacher; a teacher the job trained keeps
    the epochs."""
    def reason(teacher):
        bundle, _ = _distilled(teacher)
        return {n["key"]: n["text"] for n in bundle["trust"]["notes"]}

    for uploaded in ({"name": "uploaded (exported program)", "test": {"r2": -0.485},
                      "upload": {"file_name": "untrained.pt2", "format": "exported program"}},
                     {"name": "uploaded (mlp)", "test": {"r2": -0.485},  # a bundle before ``upload`` was kept
                      "prediction_scale": {"mean": 0.1, "sd": 0.2, "target_mean": 0.1, "target_sd": 0.25}}):
        notes = reason(uploaded)
        assert "epochs" not in notes["awd_beats_teacher"] and "under-fit" not in notes["awd_beats_teacher"]
        assert ("Likely reason: the uploaded weights, which this job did not train, predict these data poorly: check "
                "that the file was trained on data in the same units and normalisation as these and for this target "
                "column, or let the job train a teacher (“Train a built-in network” with teacher auto, the default; "
                "awd distill without --teacher PATH).") in notes["awd_beats_teacher"], notes
        assert not any("too few epochs" in text for text in notes.values())
        assert notes["weak_teacher"].endswith("Check that the uploaded weights fit these data (units, normalisation, "
                                              "target column), or let the job train a teacher, before interpreting "
                                              "the wavelet."), notes["weak_teacher"]
    skilled = reason({"name": "uploaded (mlp)", "test": {"r2": 0.25}, "upload": {"file_name": "w.pt"}})
    assert "predict these data less well than a small model" in skilled["awd_beats_teacher"]
    trained = reason({"name": "mlp", "test": {"r2": -0.485}, "epochs_run": 12, "epoch_cap": 200, "best_epoch": 3})
    assert "Likely reason: the teacher is under-fit (too few epochs)" in trained["awd_beats_teacher"]
    assert "uploaded" not in trained["awd_beats_teacher"]
    assert trained["weak_teacher"].endswith("Train a better teacher before interpreting the wavelet.")
