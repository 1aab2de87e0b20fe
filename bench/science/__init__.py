"""The science benchmark (``make science``): does distillation earn its place?

Runs the product's pipeline with its defaults on the three examples (several data seeds each) and on data the
project's simulators never made, and writes ``bench/SCIENCE.md`` with the paper's numbers beside ours.
See ``python -m bench.science --help`` and docs/science.md.
"""
