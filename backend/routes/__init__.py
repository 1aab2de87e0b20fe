"""One router per resource: health, datasets, examples, teachers, jobs, results, shares."""
