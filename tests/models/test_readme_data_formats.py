"""The README's "Data files" section on a map's pixel size and noise: its example runs, and what it says each file
records is what the readers read.

Review: a result trained on an npz made as the README described had no pixel size, so `awd predict` could not warn
of maps with 8 times smaller pixels; the README now says which keys give it. The example is read from README.md
itself, so the two cannot drift apart.
"""

import re
from pathlib import Path

import numpy as np
from astropy.io import fits

from awd_studio.models.data import load_dataset
from awd_studio.models.data.noise import NOISE_KEYS, map_noise
from awd_studio.models.data.pixels import FIELD_OF_VIEW_KEYS
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.pipeline.prepare import pixel_arcmin

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "**Maps: a pixel's size on the sky, and the maps' noise.**"


def _section() -> str:
    """The README's paragraphs on a map's pixel size and noise, from their heading to the next one."""
    text = README.read_text()
    start = text.index(HEADING)
    return text[start:text.index("\n**", start + len(HEADING))]


def _example() -> str:
    """The section's Python example (its one ```python block)."""
    blocks = re.findall(r"```python\n(.*?)```", _section(), flags=re.S)
    assert len(blocks) == 1, f"expected one Python example in the section, found {len(blocks)}"
    return blocks[0]


def test_the_readmes_npz_example_records_pixel_size_and_noise_that_the_readers_read_back(tmp_path, monkeypatch):
    """The example writes maps.npz; training reads its pixel size and noise (what a result records), and
    prediction reads them too (what `awd predict` compares)."""
    monkeypatch.chdir(tmp_path)
    exec(compile(_example(), "README.md", "exec"), {})
    written = tmp_path / "maps.npz"
    assert written.is_file()
    dataset = load_dataset(written)
    assert dataset.kind == "image" and dataset.X.shape == (40, 64, 64) and dataset.target_names == ["Omega_m"]
    noiseless = {"galaxy_density_per_arcmin2": None, "smoothing_arcmin": 0.0}
    assert pixel_arcmin(dataset, dataset.X.shape[1:]) == 3.28125  # the result's data.pixel_arcmin
    assert map_noise(dataset.meta) == noiseless  # the result's data.map_noise
    inputs = load_inputs(written, sample_shape=(64, 64))
    assert inputs.pixel_arcmin == 3.28125 and inputs.map_noise == noiseless


def test_the_keys_the_readme_names_are_the_ones_read(tmp_path):
    """Every key the code reads for a pixel size or noise is named in the section, and a field of view in degrees
    (an npz's, a FITS ANGLE) gives the pixel the section says: that × 60 / the maps' width."""
    section = _section()
    for key in ("meta_json", "pixel_arcmin", "ANGLE", *FIELD_OF_VIEW_KEYS, *NOISE_KEYS):
        assert f"`{key}`" in section, key
    maps = np.random.default_rng(0).normal(size=(1, 64, 64)).astype(">f8")  # FITS is big-endian
    fits.PrimaryHDU(maps, header=fits.Header({"ANGLE": 3.4641 / 8})).writeto(tmp_path / "map.fits")
    assert abs(load_inputs(tmp_path / "map.fits").pixel_arcmin - 3.4641 * 60 / 512) < 1e-9  # 0.406′, as said
    assert load_inputs(tmp_path / "map.fits").map_noise is None  # FITS records no noise
    for key in FIELD_OF_VIEW_KEYS:
        np.savez(tmp_path / f"{key}.npz", X=maps[0][None], meta_json=np.array(f'{{"{key}": 3.5}}'))
        assert load_inputs(tmp_path / f"{key}.npz").pixel_arcmin == 3.5 * 60 / 64
    np.savez(tmp_path / "bare.npz", X=maps[0][None])  # np.savez alone records neither
    bare = load_inputs(tmp_path / "bare.npz")
    assert bare.pixel_arcmin is None and bare.map_noise is None


def test_the_sections_lines_are_at_most_120_characters():
    assert max(len(line) for line in _section().splitlines()) <= 120
