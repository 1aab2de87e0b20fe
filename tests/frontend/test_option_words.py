"""The pages' words for the job options (``frontend.option_words``) agree with the options of ``models.options`` and
with the configure page's labels.

The frontend may not import the science package, so it keeps its own table of the options' words; the compare and
job pages name each option with it, the configure page labels its fields with it. An option added to the model and
forgotten in the table, or a label written again on the configure page, fails here.
"""

import pytest

from awd_studio.frontend import option_words
from awd_studio.frontend.option_words import OPTION_WORDS
from awd_studio.models import options
from awd_studio.models.options import JobOptions

from .test_pages import page


def test_every_option_has_words_of_its_own():
    assert set(OPTION_WORDS) == set(JobOptions.model_fields)
    assert len(set(OPTION_WORDS.values())) == len(OPTION_WORDS)  # no two options read alike


def test_the_options_of_one_kind_are_the_models():
    assert option_words.KIND_OPTIONS == {kind: tuple(names) for kind, names in options.KIND_OPTIONS.items()}
    assert set(option_words.KIND_OPTIONS) == {kind.value for kind in options.Kind}
    assert all(name in JobOptions.model_fields for names in options.KIND_OPTIONS.values() for name in names)


def _text(label) -> str:
    """A label's words (its help link left out)."""
    children = label.children if isinstance(label.children, list) else [label.children]
    return "".join(part for part in children if isinstance(part, str))


def _labels(component) -> dict[str, str]:
    """``{field id: label text}`` of every label under a component: the field it is for, or the one after it (a
    group of radio buttons has no single element to point at)."""
    children = getattr(component, "children", None)
    children = children if isinstance(children, list) else [children]
    found = {}
    for child, after in zip(children, [*children[1:], None]):
        if type(child).__name__ == "Label":
            field = getattr(child, "html_for", None) or getattr(after, "id", None)
            if field:
                found[field] = _text(child)
        elif child is not None and not isinstance(child, (str, int, float)):
            found.update(_labels(child))
    return found


@pytest.mark.usefixtures("service")
def test_the_configure_page_labels_its_fields_with_the_words():
    configure = page("configure")
    labels = _labels(configure.layout())
    # the form's fields by option: the scattering switch is the option "student"
    fields = {("student" if name == "scattering" else name): component
              for name, component in configure.FORM_FIELDS.items()}
    assert {name: labels.get(component) for name, component in fields.items()} == {
        name: OPTION_WORDS[name] for name in fields}
