"""The hub's pages for people: one layout, one stylesheet, one script, one way to render.

Every page extends ``hub_base.html`` and is rendered by :func:`hub.web.pages.page`, which adds
the security headers, the signed-in actor and the CSRF token the layout puts in a meta tag.
"""
