"""One router per context; each route has a ``name`` that :mod:`socle.api.policy` declares."""
