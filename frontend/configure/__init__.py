"""The configure page (``/configure``), module by module; :mod:`frontend.pages.configure` registers the page and
imports each of these once, which registers their callbacks.

One module a job:

- :mod:`.ids`: the page's component ids, and the form's fields that make a job (:data:`~.ids.FORM_FIELDS`).
- :mod:`.layout`: the form's cards, the estimate's card and the Start bar, as the page opens.
- :mod:`.options`: the service's choices, defaults and bounds on the form (``GET /api/options``).
- :mod:`.prefill`: prefill from a past job (``?from=<job id>&teacher=...``) and the note above the form.
- :mod:`.dataset`: the dataset dropdown, its facts and targets, the fields of its kind, the start for a known wavelet.
- :mod:`.teacher`: the teacher choices (built-in or uploaded weights) and the upload's warning.
- :mod:`.presets`: the λ/γ grid presets, their buttons, and the job body naming its preset.
- :mod:`.validation`: the fields checked, every wrong one at once, and their red outlines.
- :mod:`.payload`: the job body made of the filled form (shared by the estimate and the submission).
- :mod:`.estimate`: the run-time estimate, in the card and in short in the Start bar.
- :mod:`.submit`: Start: the job made, or the form refused under the button.

Its choices, bounds, presets and the estimate come from the API (``GET /api/options``,
``POST /api/jobs/estimate``), never from copies here.
"""
