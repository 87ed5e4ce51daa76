"""The routes: each module an ``APIRouter`` that imports ``deps``, ``errors`` and
``templating`` (never ``app``), included by ``app.create_app``."""
