"""Background jobs: long work (plans, reports, exports, simulations, checkpoints) off the request path.

A :class:`~corridor.jobs.models.Job` is what a person sees: owner, kind, state, progress and result.
The queue underneath is Django's tasks API (the ``django-tasks`` backport) with its database backend,
so a laptop needs no new server and production uses the same PostgreSQL. See docs/deploy.md.
"""
