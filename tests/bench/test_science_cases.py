"""The science benchmark's map cases: each paper-student case reads its default twin's data and differs from it
only in what the map student reads."""

from awd_studio.models.options import JobOptions
from bench.science.__main__ import CASE_CONFIG, CASES, DATA_OF


def test_kernels_cases_differ_from_the_defaults_only_in_the_map_student():
    assert JobOptions.model_fields["peak_response"].default == "magnitude"
    for case in ("lensing", "halo"):
        twin = f"{case}_kernels"
        assert twin in CASES and DATA_OF[twin] == case and DATA_OF.get(case, case) == case
        assert CASE_CONFIG[case] == {} and CASE_CONFIG[twin] == {"peak_response": "kernels"}
        signed = f"{case}_signed"  # the map student's signed range, on the same data
        assert signed in CASES and DATA_OF[signed] == case and CASE_CONFIG[signed] == {"peak_range": "signed"}
