"""A map's pixel on the sky, read from what its file says, and what cutting it into tiles does to that.

Files name the scale of their maps in one of two ways: the side of a pixel (``meta["pixel_arcmin"]``, the
lensing example) or the field of view of a whole map in degrees (``meta["field_of_view_deg"]``, a FITS file's
``ANGLE``; ``meta["fov_deg"]``). A pixel keeps its size when a map is cut into tiles, but a tile's field of view
is the tile's, not its map's: :func:`tile_sky_meta` records both, so that no reader divides the map's field by a
tile's width (review: a 3.46° map of 512 px cut into 64 px tiles was said to have 3.25′ pixels, not 0.406′).
"""

from __future__ import annotations

__all__ = ["FIELD_OF_VIEW_KEYS", "pixel_arcmin", "tile_sky_meta"]

#: ``meta`` keys that give a whole map's field of view in degrees (a FITS ``ANGLE``; the lensing example's).
FIELD_OF_VIEW_KEYS = ("field_of_view_deg", "fov_deg")


def _positive(value) -> float | None:
    """``value`` as a float when it is a positive number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    return float(value)


def pixel_arcmin(meta: dict | None, width: int) -> float | None:
    """The side of a map's pixel in arcmin, when its file says.

    Parameters
    ----------
    meta : dict or None
        A dataset's (or a reader's) metadata: ``pixel_arcmin``, else a field of view in degrees under one of
        :data:`FIELD_OF_VIEW_KEYS`.
    width : int
        The maps' width in pixels, across which that field of view lies.

    Returns
    -------
    float or None
        None when the metadata gives neither.

    Examples
    --------
    >>> pixel_arcmin({"field_of_view_deg": 3.5}, 64)
    3.28125
    >>> pixel_arcmin({"pixel_arcmin": 0.5, "fov_deg": 3.5}, 64)
    0.5
    >>> pixel_arcmin({}, 64) is None
    True
    """
    meta = meta or {}
    size = _positive(meta.get("pixel_arcmin"))
    if size is not None:
        return size
    fov = next((v for v in (_positive(meta.get(k)) for k in FIELD_OF_VIEW_KEYS) if v is not None), None)
    return fov * 60.0 / int(width) if fov is not None and int(width) > 0 else None


def tile_sky_meta(meta: dict | None, width: int, size: int) -> dict:
    """The sky scale of ``size``-pixel tiles cut from maps ``width`` pixels wide whose metadata is ``meta``.

    Parameters
    ----------
    meta : dict or None
        The whole maps' metadata.
    width : int
        The whole maps' width in pixels.
    size : int
        The tiles' side in pixels.

    Returns
    -------
    dict
        Entries to update the tiles' metadata with: ``pixel_arcmin`` (the maps' pixel, which tiling keeps) and
        each field-of-view key the maps had, now the tile's (``size`` pixels of that side, in degrees); empty
        when the maps' scale is unknown.

    Examples
    --------
    >>> tile_sky_meta({"field_of_view_deg": 3.4641}, 512, 64)
    {'pixel_arcmin': 0.40594921875, 'field_of_view_deg': 0.433012...}
    >>> tile_sky_meta({}, 512, 64)
    {}
    """
    pixel = pixel_arcmin(meta, width)
    if pixel is None:
        return {}
    tile_fov = size * pixel / 60.0
    return {"pixel_arcmin": pixel, **{k: tile_fov for k in FIELD_OF_VIEW_KEYS if k in (meta or {})}}
