"""The county's indicators measured from its cases (case_record), never declared: for a period
and per village, town and matter. ``measure`` defines every figure (pure), ``report`` names
them, ``scope`` resolves what a request covers inside the asker's area, ``query`` reads the
cases; ``api`` serves ``GET /api/indicators`` and ``page`` the ``/indicators`` page."""
