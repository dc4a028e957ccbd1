"""The pages, one module per audience."""

from socle.web.pages import (
    auditor,
    clinician,
    college,
    committee,
    core,
    desk,
    jobs,
    observatory,
    patient,
    public,
    researcher,
    steward,
)

ROUTERS = (
    core.router, public.router, observatory.router, patient.router, researcher.router,
    jobs.router,
    committee.router, desk.router, clinician.router, college.router, auditor.router,
    steward.router,
)  # fmt: skip

# Where each role lands after signing in (and its link in the header).
HOME_OF_ROLE: dict[str, str] = {
    "patient": "/patient",
    "researcher": "/researcher",
    "committee_member": "/committee/queue",
    "output_checker": "/desk",
    "clinician": "/care",
    "college_member": "/college",
    "auditor": "/audit",
    "data_steward": "/steward",
}

__all__ = ["HOME_OF_ROLE", "ROUTERS"]
