"""De-identification of one note: known identifiers in any form, patterns, NER, shifted dates."""

from __future__ import annotations

import pytest

from socle.notes import Directory, deidentify, detect_language, parse_date, patient_terms

IDENTITY = {
    "source_id": "ac5294eb-05dc-ed5b-2e7c-021eebd1c7b3",
    "name": [{"given": ["Adrianne466", "Mae12"], "family": "Beer512", "prefix": ["Ms."]}],
    "telecom": [{"system": "phone", "value": "555-867-5309"}],
    "address": [{"line": ["742 Evergreen Terrace"], "city": "Springfield", "postalCode": "01105"}],
    "identifier": [{"value": "999-45-6789"}, {"value": "S99912345"}],
    "birthDate": "2005-11-02",
    "contact": [{"name": {"given": ["Homer77"], "family": "Beer512"}}],
}
PATIENT = patient_terms(IDENTITY)


def _clean(text: str, language: str = "en", shift: int = 10, *extra: object) -> str:
    return deidentify(text, language, known=(PATIENT, *extra), shift_days=shift).text  # type: ignore[arg-type]


@pytest.mark.usefixtures("deid_engine")
@pytest.mark.parametrize(
    "written",
    ["Adrianne466", "ADRIANNE466", "adrianne 466", "Adrianne", "Beer512", "BEER 512", "Mae12"],
)
def test_patient_name_is_removed_in_any_case_spacing_or_without_synthea_digits(
    written: str,
) -> None:
    out = _clean(f"Seen today: {written} reports no pain.")
    assert written.lower() not in out.lower()
    assert "[PATIENT]" in out and "reports no pain" in out


@pytest.mark.usefixtures("deid_engine")
def test_vault_phone_identifiers_address_and_relatives_are_removed_whatever_the_format() -> None:
    text = (
        "Call (555) 867 5309. SSN 999 45 6789, licence s99912345. Lives at 742 evergreen "
        "terrace, SPRINGFIELD 01105. Father Homer77 came. Record ac5294eb05dced5b2e7c021eebd1c7b3."
    )
    out = _clean(text)
    for value in (
        "867",
        "6789",
        "99912345",
        "evergreen",
        "springfield",
        "01105",
        "homer",
        "ac5294eb",
    ):
        assert value not in out.lower(), value
    assert "Call [PHONE]" in out and "came" in out


@pytest.mark.usefixtures("deid_engine")
def test_birth_date_and_other_dates_are_shifted_by_the_patients_offset() -> None:
    out = _clean("Born 2005-11-02. Seen on 03/01/2010 and on March 4, 2010.", shift=10)
    assert "2005-10-23" in out and "2010-02-19" in out and "2010-02-22" in out
    assert "2005-11-02" not in out and "03/01/2010" not in out


@pytest.mark.usefixtures("deid_engine")
def test_practitioners_and_organisations_of_the_load_are_removed() -> None:
    directory = Directory()
    directory.add(
        {
            "resourceType": "Practitioner",
            "name": [{"given": ["Edmundo94"], "family": "Eichmann909"}],
        }
    )
    directory.add({"resourceType": "Organization", "name": "FATHER BILL'S PLACE"})
    text = "Signed Dr. Eichmann909 (Edmundo94 Eichmann909) at Father Bill's Place. Bill is fine."
    out = _clean(text, "en", 10, directory.terms)
    assert "eichmann" not in out.lower() and "edmundo" not in out.lower()
    assert "Father Bill" not in out and "[ORGANIZATION]" in out and "[PRACTITIONER]" in out


@pytest.mark.usefixtures("deid_engine")
def test_patterns_remove_contacts_and_numbers_of_people_nobody_registered() -> None:
    text = (
        "Mail jean.dupont@example.org or see https://example.org/p?id=3. "
        "Tel 06 12 34 56 78, +33 1 45 67 89 10. NIR 1 84 12 75 123 456 78. IPP : 8001234567."
    )
    out = _clean(text, "fr")
    for value in ("jean.dupont", "example.org", "06 12", "45 67", "123 456", "8001234567"):
        assert value not in out, value
    assert "[EMAIL]" in out and "[URL]" in out and "IPP" in out


@pytest.mark.usefixtures("deid_engine")
def test_french_names_found_by_the_named_entity_model_and_after_titles() -> None:
    text = "Mme Lefèvre a été reçue par le Dr Martin. Patiente suivie pour un diabète de type 2."
    out = deidentify(text, "fr", shift_days=5).text
    assert "Lefèvre" not in out and "Martin" not in out
    assert "diabète de type 2" in out


@pytest.mark.usefixtures("deid_engine")
def test_clinical_content_survives() -> None:
    text = "Patient has a history of viral sinusitis (disorder). Medications: amoxicillin 250 mg."
    assert _clean(text) == text


def test_note_nlp_entities_point_at_the_surrogates_not_the_values(deid_engine: object) -> None:
    result = deidentify("Adrianne466 called 555-867-5309.", "en", known=(PATIENT,), shift_days=1)
    assert [(e.label, result.text[e.start : e.end]) for e in result.entities] == [
        ("PATIENT", "[PATIENT]"),
        ("PHONE", "[PHONE]"),
    ]


def test_dates_are_read_in_the_languages_order() -> None:
    assert str(parse_date("03/01/2010", "en")) == "2010-03-01"
    assert str(parse_date("03/01/2010", "fr")) == "2010-01-03"
    assert str(parse_date("5 JUIN 1940", "fr")) == "1940-06-05"
    assert parse_date("juin 2015", "fr") is None


def test_language_is_detected_or_declared_unknown() -> None:
    assert detect_language("The patient was seen with his wife for a cough.") == "en"
    assert detect_language("Le patient est venu avec sa femme pour une toux.") == "fr"
    assert detect_language("Der Patient kam mit seiner Frau wegen Husten.") is None
    assert detect_language("anything", declared="fr") == "fr"
    assert detect_language("The patient", declared="de") is None
