"""The run-time cost model behind the configure page's estimate and the API's time-limit check."""

import pytest

from awd_studio.models.cores import job_threads
from awd_studio.models.estimate import (
    CALIBRATION_RANGE,
    _loglog,
    calibration,
    estimate_job,
    estimate_seconds,
    stage_calibration,
    stage_seconds,
)
from awd_studio.models.options import PipelineConfig, resolve_random_search


def test_estimate_grows_with_work():
    small = estimate_seconds("timeseries", [64], 200, 2, 2)
    big = estimate_seconds("timeseries", [64], 200, 105, 100)
    assert 0 < small < big
    assert estimate_seconds("timeseries", [64], 200, 2, 2, "integrated_gradients") > small


def test_vectorised_grid_costs_less_than_its_points():
    # 32 points cost about 3.9 times one point per epoch, not 32 times (one thread: no parts, no threads' gain)
    one = estimate_seconds("timeseries", [64], 100_000, 1, 100, teacher="ds-uploaded", threads=1)
    many = estimate_seconds("timeseries", [64], 100_000, 32, 100, teacher="ds-uploaded", threads=1)
    assert 3.0 < many / one < 4.5


def test_a_series_grid_gains_from_two_threads_as_measured():
    def epochs(n_grid, threads):  # 50 epochs' seconds, without the once-per-job teacher gradients
        def at(n_epochs):
            return stage_seconds("timeseries", [64], 100_000, n_grid, n_epochs, teacher="ds-uploaded",
                                 threads=threads, trains_teacher=False)["distill"]

        return at(100) - at(50)

    # one point: the 2D factor; 18 points: the second thread gained nothing; 105 points: 1.5x
    assert epochs(1, 1) / epochs(1, 2) == pytest.approx(1.8, rel=0.01)
    assert epochs(18, 1) / epochs(18, 2) == pytest.approx(1.0, rel=0.01)
    assert epochs(105, 1) / epochs(105, 2) == pytest.approx(1.5, rel=0.01)
    assert epochs(400, 1) / epochs(400, 2) == pytest.approx(1.5, rel=0.01)  # flat beyond the measured grids
    assert 1.0 < epochs(40, 1) / epochs(40, 2) < 1.5


def _per_50_epochs(parametrization, gradient_path="auto", threads=1):
    def at(epochs):
        return estimate_seconds("timeseries", [64], 5000, 8, epochs, teacher="lstm", parametrization=parametrization,
                                gradient_path=gradient_path, threads=threads)

    return at(100) - at(50)


def test_straight_through_with_the_free_filter_differentiates_the_teacher_twice():
    assert _per_50_epochs("free", "straight_through") / _per_50_epochs("orthogonal") > 10


def test_the_default_path_costs_the_same_for_either_filter_on_series():
    # the gradient of eq. 8 computes the teacher's gradient once per data set, whatever the filter
    assert _per_50_epochs("free") == pytest.approx(_per_50_epochs("orthogonal"))


def test_the_free_filter_costs_its_reconstruction_term_on_maps():
    def per_50_epochs(parametrization):
        return (estimate_seconds("image", [64, 64], 1200, 33, 100, parametrization=parametrization, threads=2)
                - estimate_seconds("image", [64, 64], 1200, 33, 50, parametrization=parametrization, threads=2))

    assert per_50_epochs("free") / per_50_epochs("orthogonal") == pytest.approx(1.3)


def test_more_threads_never_cost_more():
    assert _per_50_epochs("orthogonal", threads=2) <= _per_50_epochs("orthogonal", threads=1)


def test_power_law_between_table_points():
    assert _loglog({64: 1.0, 256: 4.0}, 128) == pytest.approx(2.0)


def test_auto_counts_both_teachers_and_their_side_by_side_training():
    """teacher="auto" trains the LSTM and the MLP: one after the other on one thread (the sum of both), side by
    side on two (the longer of the two, the LSTM)."""
    def teacher_seconds(teacher, threads):
        args = ("timeseries", [40], 3000, 1, 1)
        return (estimate_seconds(*args, teacher=teacher, threads=threads)
                - estimate_seconds(*args, teacher="ds-uploaded", threads=threads))

    lstm, mlp = teacher_seconds("lstm", 1), teacher_seconds("mlp", 1)
    assert teacher_seconds("auto", 1) == pytest.approx(lstm + mlp)
    assert teacher_seconds("auto", 2) == pytest.approx(max(lstm, mlp))


def test_calibration_is_the_median_ratio_of_enough_finished_jobs():
    assert calibration([60.0, 80.0, 45.0], [30.0, 40.0, 30.0]) == (2.0, 3)
    assert calibration([60.0, 80.0], [30.0, 40.0]) == (1.0, 0)  # too few: the cost model as it stands
    # unusable pairs are left out and do not count towards the minimum
    assert calibration([60.0, 80.0, 45.0, float("nan"), 0.0], [30.0, 40.0, 30.0, 10.0, 10.0]) == (2.0, 3)
    assert calibration([60.0, float("inf"), 45.0], [30.0, 40.0, 30.0]) == (1.0, 0)
    # one job that waited on a busy machine moves the median by one rank, and the factor stays in range
    assert calibration([60.0, 80.0, 45.0, 9000.0], [30.0, 40.0, 30.0, 30.0])[0] == pytest.approx(2.0)
    assert calibration([1e5] * 3, [1.0] * 3) == (CALIBRATION_RANGE[1], 3)
    assert calibration([1e-3] * 3, [1.0] * 3) == (CALIBRATION_RANGE[0], 3)
    with pytest.raises(ValueError, match="2 measured and 3 estimated"):
        calibration([1.0, 2.0], [1.0, 2.0, 3.0])


def test_an_uploaded_teacher_is_not_trained():
    config = PipelineConfig.from_dict({"teacher": "lstm", "start_search": 0})  # (a search may hide beside a teacher)
    trained = estimate_job(config, "timeseries", (40,), 3000)["seconds"]
    uploaded = estimate_job(config, "timeseries", (40,), 3000, trains_teacher=False)["seconds"]
    args = ("timeseries", [40], 3000, 18, 50)
    control = resolve_random_search(None, "timeseries", 3000)  # beside a trained teacher it costs less
    training = (estimate_seconds(*args, teacher="lstm", threads=job_threads(), random_search=control)
                - estimate_seconds(*args, teacher="lstm", threads=job_threads(), trains_teacher=False,
                                   random_search=control))
    assert training > 0 and trained - uploaded == pytest.approx(training)


def test_the_stages_sum_to_the_estimate_and_follow_the_options():
    args = ("timeseries", [40], 3000, 18, 50)
    stages = stage_seconds(*args, teacher="lstm")
    assert set(stages) == {"teacher", "distill", "select", "students"}
    assert sum(stages.values()) == pytest.approx(estimate_seconds(*args, teacher="lstm"))
    uploaded = stage_seconds(*args, teacher="lstm", trains_teacher=False)
    assert uploaded["teacher"] == 0.0 and uploaded["distill"] == pytest.approx(stages["distill"])
    longer = stage_seconds("timeseries", [40], 3000, 18, 100, teacher="lstm")
    assert longer["distill"] > stages["distill"] and longer["teacher"] == stages["teacher"]
    one_thread = stage_seconds(*args, teacher="lstm", threads=1)
    control = stage_seconds(*args, teacher="lstm", random_search=300, threads=1)
    assert control["select"] > one_thread["select"] and control["distill"] == one_thread["distill"]
    uploaded_control = stage_seconds(*args, teacher="lstm", random_search=300, trains_teacher=False, threads=2)
    assert uploaded_control["select"] > uploaded["select"]


def test_a_series_control_beside_the_teacher_costs_what_the_idle_core_leaves():
    """On two cores the LSTM trains on one, and the teacher-free control runs on the other
    (models.pipeline.teacher_free): the CME example's 300 wavelets fit there (measured: select stage 6.6-7.0 s ->
    3.9 s); 2000 of them do not, and a control the teacher's end interrupts is scored again whole by the final
    stage; an MLP alone leaves too little time for any."""
    args = ("timeseries", [40], 2349, 105, 100)
    without = stage_seconds(*args, teacher="auto", threads=2)
    hidden = stage_seconds(*args, teacher="auto", threads=2, random_search=300)
    assert hidden == pytest.approx(without)
    many = stage_seconds(*args, teacher="auto", threads=2, random_search=2000)
    assert many == pytest.approx(stage_seconds(*args, teacher="auto", threads=2, random_search=2000,
                                               trains_teacher=False) | {"teacher": many["teacher"]})
    mlp = stage_seconds(*args, teacher="mlp", threads=2, random_search=300)
    assert mlp["select"] > stage_seconds(*args, teacher="mlp", threads=2)["select"]
    assert stage_seconds(*args, teacher="auto", threads=1, random_search=300)["select"] > \
        stage_seconds(*args, teacher="auto", threads=1)["select"]


def test_the_sparsity_search_beside_the_teacher_is_not_counted_when_the_idle_core_holds_it():
    """After the control, the gamma = 0 points' start search runs on the core the LSTM leaves idle: with a control of
    100 wavelets the CME paper grid's stage then counts one search of its two (after the default 300 the search no
    longer fits: measured, it finished there in two CME jobs of three); not beside an MLP alone, on one thread, or
    after a control too large to finish there."""
    args = ("timeseries", [40], 2936, 105, 100)
    common = dict(teacher="auto", threads=2, start_search=1000, random_search=100)
    assert stage_seconds(*args, **{**common, "random_search": 300}, n_searches=2, sparsity_search=True) == \
        stage_seconds(*args, **{**common, "random_search": 300}, n_searches=2)
    both = stage_seconds(*args, **common, n_searches=2)
    beside = stage_seconds(*args, **common, n_searches=2, sparsity_search=True)
    assert beside["distill"] == pytest.approx(stage_seconds(*args, **common, n_searches=1)["distill"])
    assert beside["distill"] < both["distill"]
    assert stage_seconds(*args, **{**common, "teacher": "mlp"}, n_searches=2, sparsity_search=True) == \
        stage_seconds(*args, **{**common, "teacher": "mlp"}, n_searches=2)
    assert stage_seconds(*args, **{**common, "threads": 1}, n_searches=2, sparsity_search=True) == \
        stage_seconds(*args, **{**common, "threads": 1}, n_searches=2)
    many = {**common, "random_search": 2000}
    assert stage_seconds(*args, **many, n_searches=2, sparsity_search=True) == stage_seconds(*args, **many,
                                                                                           n_searches=2)


def test_estimate_job_counts_the_scattering_student_in_its_students_stage():
    plain = estimate_job(PipelineConfig.from_dict({"teacher": "mlp"}), "timeseries", [64], 500)
    scattering = estimate_job(PipelineConfig.from_dict({"teacher": "mlp", "student": "scattering"}),
                              "timeseries", [64], 500)
    assert sum(plain["stages"].values()) == pytest.approx(plain["seconds"])
    assert scattering["stages"]["students"] > plain["stages"]["students"]
    assert scattering["stages"]["distill"] == pytest.approx(plain["stages"]["distill"])
    assert sum(scattering["stages"].values()) == pytest.approx(scattering["seconds"])


def test_each_stage_is_calibrated_on_the_part_of_the_jobs_it_runs_in():
    stages = {"teacher": 10.0, "distill": 20.0, "select": 3.0, "students": 2.0}
    # the teacher ran 3x the model, the distillation 1.5x, selection and students 2x: 30 + 30 + 10 = 70 s
    jobs = [({"total": 70.0 * k, "prepare": 30.0 * k, "finalize": 10.0 * k}, {s: v * k for s, v in stages.items()})
            for k in (1.0, 2.0, 0.5)]
    factors, n_jobs = stage_calibration(jobs)
    assert n_jobs == 3
    assert factors == pytest.approx({"teacher": 3.0, "distill": 1.5, "select": 2.0, "students": 2.0})
    # the calibrated stages add up to what the jobs took
    assert sum(stages[s] * factors[s] for s in stages) == pytest.approx(70.0)


def test_parts_not_recorded_take_the_whole_jobs_factor():
    stages = {"teacher": 10.0, "distill": 20.0, "select": 3.0, "students": 2.0}
    old = [({"total": 70.0, "prepare": None, "finalize": None}, stages)] * 3  # finished before parts were kept
    factors, n_jobs = stage_calibration(old)
    assert n_jobs == 3 and factors == pytest.approx(dict.fromkeys(stages, 2.0))
    # an uploaded teacher is not trained: its jobs cannot calibrate the teacher stage
    uploaded = [({"total": 70.0, "prepare": 1.0, "finalize": 10.0}, {**stages, "teacher": 0.0})] * 3
    factors, _ = stage_calibration(uploaded)
    assert factors["teacher"] == pytest.approx(70.0 / 25.0) and factors["select"] == pytest.approx(2.0)
    assert stage_calibration([]) == (dict.fromkeys(stages, 1.0), 0)


def test_the_teachers_epochs_scale_its_training_time():
    """Review 40C: 160 and 1000 teacher epochs were estimated as the default 80 (18.95 s each)."""
    default = estimate_job(PipelineConfig.from_dict({"teacher": "lstm"}), "timeseries", [40], 3000)
    longer = estimate_job(PipelineConfig.from_dict({"teacher": "lstm", "teacher_epochs": 160}), "timeseries", [40],
                          3000)
    assert longer["stages"]["teacher"] == pytest.approx(2 * default["stages"]["teacher"])
    assert longer["stages"]["distill"] == pytest.approx(default["stages"]["distill"])
    both = estimate_job(PipelineConfig.from_dict({"teacher": "auto", "teacher_epochs": 40}), "timeseries", [40], 3000)
    auto = estimate_job(PipelineConfig.from_dict({"teacher": "auto"}), "timeseries", [40], 3000)
    assert both["stages"]["teacher"] < auto["stages"]["teacher"]  # the LSTM's 80 and the MLP's 200 both shortened
