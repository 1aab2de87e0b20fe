"""The configure page (``/configure``), module by module; :mod:`frontend.pages.configure` registers the page and
imports them.

- :mod:`.ids`: the page's component ids, and the form's fields that make a job (:data:`~.ids.FORM_FIELDS`).
- :mod:`.validation`: the fields checked, every wrong one at once, and their red outlines.
"""
