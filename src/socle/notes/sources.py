"""What is known before reading a note: the patient's identity and the load's directory.

- :func:`patient_terms` turns a vault identity (FHIR Patient fields) into
  known terms: names (with and without Synthea's digits), relatives' names,
  street lines, city, postal code, phones, e-mails, identifiers and the birth date;
- :class:`Directory` collects the names and addresses of the load's
  Practitioner, Organization and Location resources.

The state and the country are not terms: the warehouse keeps them (the
privacy policy's level for places); anything finer is removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from socle.notes.known import KnownTerms

DIRECTORY_TYPES = frozenset({"Practitioner", "Organization", "Location"})
_TITLES = ("dr", "doctor", "docteur", "pr", "professeur", "mr", "mrs", "ms", "mme", "m")
_TELECOM = {"email": "EMAIL", "url": "URL"}


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    return (v for v in value or () if isinstance(v, dict)) if isinstance(value, list) else ()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value or () if isinstance(v, str)] if isinstance(value, list) else []


def _add_name(terms: KnownTerms, label: str, name: dict[str, Any], *, alone: bool) -> None:
    """A HumanName: the full name; with ``alone``, each part by itself too."""
    given, family = _strings(name.get("given")), _strings(name.get("family"))
    if name.get("text") and isinstance(name["text"], str):
        terms.add_phrase(label, name["text"])
    full = " ".join(given + family)
    if full:
        terms.add_phrase(label, full)
    for part in given + family:
        if alone:
            terms.add_phrase(label, part)
        elif any(ch.isdigit() for ch in part):
            terms.add_phrase(label, part, bare=False)  # Eichmann909: unambiguous
        for title in _TITLES:
            terms.add_phrase(label, f"{title} {part}")


def _add_address(terms: KnownTerms, address: dict[str, Any]) -> None:
    for line in _strings(address.get("line")):
        terms.add_phrase("ADDRESS", line, bare=False)
    if isinstance(address.get("city"), str):
        terms.add_phrase("LOCATION", address["city"], bare=False)
    if isinstance(address.get("district"), str):
        terms.add_phrase("LOCATION", address["district"], bare=False)
    if isinstance(address.get("postalCode"), str):
        terms.add_code("ZIP", address["postalCode"])


def _add_telecom(terms: KnownTerms, telecom: dict[str, Any]) -> None:
    value = telecom.get("value")
    if not isinstance(value, str):
        return
    label = _TELECOM.get(str(telecom.get("system")), "PHONE")
    if label == "PHONE":
        terms.add_code(label, value)
    else:  # e-mails and URLs: their words in order, whatever the punctuation
        terms.add_phrase(label, value, bare=False)


def patient_terms(identity: dict[str, Any]) -> KnownTerms:
    """Every identifier the vault holds for one patient, as known terms."""
    terms = KnownTerms()
    for name in _dicts(identity.get("name")):
        _add_name(terms, "PATIENT", name, alone=True)
    for address in _dicts(identity.get("address")):
        _add_address(terms, address)
    for telecom in _dicts(identity.get("telecom")):
        _add_telecom(terms, telecom)
    for identifier in _dicts(identity.get("identifier")):
        if isinstance(identifier.get("value"), str):
            terms.add_code("ID", identifier["value"])
    if isinstance(identity.get("source_id"), str):
        terms.add_code("ID", identity["source_id"])
    if isinstance(identity.get("birthDate"), str):
        terms.add_code("DATE", identity["birthDate"][:10])
    for contact in _dicts(identity.get("contact")):
        for name in _dicts(contact.get("name")):
            _add_name(terms, "PERSON", name, alone=True)
        for telecom in _dicts(contact.get("telecom")):
            _add_telecom(terms, telecom)
        for address in _dicts(contact.get("address")):
            _add_address(terms, address)
    maiden = identity.get("mothersMaidenName")
    if isinstance(maiden, dict) and isinstance(maiden.get("valueString"), str):
        terms.add_phrase("PERSON", maiden["valueString"])
    birth_place = identity.get("birthPlace")
    if isinstance(birth_place, dict):
        for address in _dicts(birth_place.get("valueAddress")):
            _add_address(terms, address)
    return terms


class Directory:
    """Names and addresses of the load's practitioners, organisations and locations."""

    def __init__(self) -> None:
        self.terms = KnownTerms()
        self.names = 0

    def add(self, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        if kind == "Practitioner":
            for name in _dicts(resource.get("name")):
                _add_name(self.terms, "PRACTITIONER", name, alone=False)
                self.names += 1
        elif kind in ("Organization", "Location"):
            if isinstance(resource.get("name"), str):
                self.terms.add_phrase("ORGANIZATION", resource["name"], bare=False)
                self.names += 1
            for alias in _strings(resource.get("alias")):
                self.terms.add_phrase("ORGANIZATION", alias, bare=False)
        else:
            return
        for address in _dicts(resource.get("address")):
            _add_address(self.terms, address)
        for telecom in _dicts(resource.get("telecom")):
            _add_telecom(self.terms, telecom)
