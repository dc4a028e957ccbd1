"""The pages, one module per audience."""

from socle.web.pages import (
    auditor,
    clinician,
    committee,
    core,
    desk,
    patient,
    public,
    researcher,
    steward,
)

ROUTERS = (
    core.router, public.router, patient.router, researcher.router, committee.router,
    desk.router, clinician.router, auditor.router, steward.router,
)  # fmt: skip

# Where each role lands after signing in (and its link in the header).
HOME_OF_ROLE: dict[str, str] = {
    "patient": "/patient",
    "researcher": "/researcher",
    "committee_member": "/committee/queue",
    "output_checker": "/desk",
    "clinician": "/care",
    "auditor": "/audit",
    "data_steward": "/steward",
}

__all__ = ["HOME_OF_ROLE", "ROUTERS"]
