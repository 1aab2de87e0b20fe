"""The pages' copies of the model table agree with the one in ``models.pipeline.model_registry``.

The frontend may not import the science package, so it keeps its own copies of each model's name, colour and
place; review 28B added a map baseline and found that four of those copies could be left out with every test
passing. Each copy is held equal to the registry here, so a model added to one and forgotten in another fails.
"""

from awd_studio.frontend import predict_panel
from awd_studio.frontend.figures import compare, scores, style
from awd_studio.models import plots
from awd_studio.models.pipeline import model_registry as registry
from awd_studio.models.pipeline import trust, verdict

STUDENTS = {m.key for m in registry.MODELS if m.kind != "teacher"}


def test_the_pages_name_colour_and_order_the_models_as_the_registry():
    assert style.MODEL_LABELS == registry.MODEL_NAMES
    assert style.MODEL_COLOURS == registry.MODEL_COLOURS
    assert scores.MODEL_ORDER == registry.MODEL_ORDER
    assert scores.FIXED_FILTER_BASELINES == registry.FIXED_FILTER_BASELINES
    assert (plots.MODEL_NAMES, plots.MODEL_COLOURS, plots.MODEL_ORDER) == (
        registry.MODEL_NAMES, registry.MODEL_COLOURS, registry.MODEL_ORDER)


def test_the_pages_that_list_models_read_those_copies():
    """The Predict panel named the students in words of its own ("Laplace filter", "AWD with γ = 0") and the compare
    page listed the models again: both now read style.MODEL_LABELS and scores.MODEL_ORDER."""
    assert compare.COMPARED_MODELS == ("teacher", *registry.MODEL_ORDER, "scattering")
    assert set(compare.COMPARED_MODELS) == {m.key for m in registry.MODELS}
    bundle = {"students": {key: {} for key in registry.MODEL_ORDER + ["scattering"]}, "selection": {"choice": "awd"}}
    options, recommended = predict_panel.model_options(bundle)
    assert recommended == "awd"
    assert [o["label"].removesuffix(" (recommended)") for o in options] == [
        registry.MODEL_NAMES[o["value"]] for o in options]
    assert "(model: Laplace)" in str(predict_panel.answer_children({"model": "laplace", "y_pred": [1.0]}))


def test_every_student_has_words_wherever_students_are_named():
    # the verdict's warnings name every student a job cross-validates (the scattering student has its own notes)
    assert set(verdict.STUDENT_NAMES) == STUDENTS - {"scattering"}
    assert set(trust.BASELINES) == {"baseline_wavelet", *registry.MAP_BASELINES}
    assert set(registry.FIXED_FILTER_BASELINES) == set(registry.MAP_BASELINES)


def test_no_two_models_share_a_colour_or_a_name():
    assert len(set(registry.MODEL_COLOURS.values())) == len(registry.MODELS)
    assert len(set(registry.MODEL_NAMES.values())) == len(registry.MODELS)
    assert len({m.key for m in registry.MODELS}) == len(registry.MODELS)
