"""The pages, one module per audience."""

from socle.web.pages import committee, core, patient, public, researcher

ROUTERS = (core.router, public.router, patient.router, researcher.router, committee.router)

# Where each role lands after signing in (and its link in the header).
HOME_OF_ROLE: dict[str, str] = {
    "patient": "/patient",
    "researcher": "/researcher",
    "committee_member": "/committee/queue",
}

__all__ = ["HOME_OF_ROLE", "ROUTERS"]
