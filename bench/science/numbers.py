"""How the science reports write a figure measured over several seeds."""

import numpy as np

__all__ = ["mean_sd"]


def mean_sd(values, fmt="{:.3f}", sd_label=""):
    """``"mean ± SD"`` of the values that are not None (one value as it is, none as ``"—"``).

    ``fmt`` formats both numbers; a sign it puts on the SD (e.g. ``"{:+.4f}"``) is dropped; ``sd_label`` follows
    the SD (e.g. ``" (SD)"``).
    """
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(np.mean(values))} ± {fmt.format(np.std(values, ddof=1)).lstrip('+')}{sd_label}"
