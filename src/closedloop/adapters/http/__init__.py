"""The HTTP adapter (FastAPI): every catalogue command a ``POST``, every query a ``GET``.

It needs the ``http`` extra; ``import closedloop`` never imports FastAPI. Build an app with
:func:`closedloop.adapters.http.app.create_app`, or run ``closedloop serve``.
"""
