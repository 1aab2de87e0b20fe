"""The friendly 404 page for any unknown path.

Dash shows the page whose module name ends in ``not_found_404`` for unknown
paths, hence the explicit module name given to ``register_page``.
"""

import dash

from awd_studio.frontend.components import not_found_card


def layout(**_):
    """The 404 page."""
    return not_found_card("Page not found", "There is no page at this address. Check the link, or start over.")


dash.register_page("not_found_404", path="/404", title="AWD Studio · not found", name="Not found", layout=layout)
