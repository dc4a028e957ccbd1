"""French identifiers of people nobody registered: gazetteer names, typed-out numbers, addresses."""

from __future__ import annotations

import pytest

from socle.notes import deidentify, parse_date

pytestmark = pytest.mark.usefixtures("deid_engine")


def _clean(text: str) -> str:
    return deidentify(text, "fr", shift_days=10).text


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("appel de solange Kerbiriou pour sa mère", ["solange", "Kerbiriou"]),
        ("vu avec kermarrec, GHISLAINE, ce matin", ["kermarrec", "GHISLAINE"]),
        ("contact : VANDENBERGHE Hubert", ["VANDENBERGHE", "Hubert"]),
        ("rappeler le fils, Monique de la Vergnasse", ["Monique", "Vergnasse"]),
        ("nadège", ["nadège"]),
    ],
)
def test_lower_case_names_without_a_title_are_removed(text: str, names: list[str]) -> None:
    out = _clean(text)
    for name in names:
        assert name not in out, (name, out)
    assert "[PERSON]" in out


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Le patient LASVEAUX maeron, 37 ans, est arrivé", ["LASVEAUX", "maeron"]),  # relation
        ("Son époux Ravalec est présent.", ["Ravalec"]),
        ("RAS. Vu par Ploux.", ["Ploux"]),  # "vu par"
        ("bertille Arcis", ["bertille", "Arcis"]),  # a line holding only a name
        ("brunelliere, 14/12/99", ["brunelliere"]),
        ("Alihan PEROTIN a appelé", ["Alihan", "PEROTIN"]),  # the model's PERSON, extended
        ("contact avec Maelyne TOURNADRE ce jour", ["Maelyne", "TOURNADRE"]),  # Prénom NOM
        ("Nom : KOWALSKI  Prénom : Anna", ["KOWALSKI", "Anna"]),  # a form's fields
        ("Avis du Docteur Van der Berg demandé.", ["Van", "der", "Berg"]),  # particles
        ("Fait à Quimper, le 12/03/2020", ["Quimper"]),  # a place after "à"
        ("Vit chez sa sœur Mme Cozic à Brest", ["Cozic", "Brest"]),
        ("Accompagnée de son amie Kervella", ["Kervella"]),
        ("boulanger Claire , 54 ans, hypertendue", ["boulanger", "Claire"]),  # age apposition
        ("Usager Marteau LUDOVIC vu ce jour", ["Marteau", "LUDOVIC"]),  # "marteau": a word
        ("Chaise, GWENAELLE, 3.04.81", ["Chaise", "GWENAELLE"]),  # a heading: NOM, PRÉNOM
    ],
)
def test_names_found_by_their_place_in_the_text_are_removed(text: str, names: list[str]) -> None:
    out = _clean(text)
    for name in names:
        assert name not in out, (name, out)


def test_a_hospital_designation_in_lower_case_is_removed_up_to_its_punctuation() -> None:
    out = _clean("Hôpital centre cardiologique du nord, standard joignable.")
    assert "cardiologique" not in out and "nord" not in out
    assert out.endswith(", standard joignable.")


def test_clinical_words_after_a_relation_or_in_capitals_stay() -> None:
    text = "La patiente apyrétique, eupnéique. Scanner TAP normal. Patient BPCO stable."
    assert _clean(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Femme, 45 ans, sans antécédents.",
        "Bilan, 12/03",
        "Consultation Cardiologie, 3",
        "Usager Bilan ECG",
    ],
)
def test_headings_and_ages_without_a_name_stay(text: str) -> None:
    assert _clean(text) == text


def test_first_names_that_are_common_words_stay_when_they_are_words() -> None:
    text = "Pas de rose ni de violette sur la peau; calcul vésiculaire à l'échographie."
    out = _clean(text)
    for word in ("rose", "violette", "calcul vésiculaire", "échographie"):
        assert word in out, (word, out)


def test_capitalised_clinical_words_are_not_taken_for_places_or_people() -> None:
    text = "Inscription au programme. Allergie aux pénicillines. Besoin d'aide au domicile."
    assert _clean(text) == text


@pytest.mark.parametrize(
    ("typed", "day"),
    [("0 3 0 6 2 0 1 9", "2019-06-03"), ("2 2 / 2 / 2 0 1 6", "2016-02-22"),
     ("1 4 - 0 9 - 2 0 0 8", "2008-09-14")],
)  # fmt: skip
def test_dates_typed_digit_by_digit_are_shifted(typed: str, day: str) -> None:
    assert str(parse_date(typed, "fr")) == day
    out = _clean(f"Revu le {typed} en consultation.")
    assert typed not in out and "[DATE]" not in out
    assert str(parse_date(out.split("le ")[1].split(" en")[0], "fr"))  # a shifted ISO day


@pytest.mark.parametrize(
    "phone", ["0 1 - 4 5 - 2 3 - 8 9 - 1 0", "(33) 0 14 52 38 91", "01.45.23.89.10", "+33145238910"]
)
def test_phones_in_any_french_form_are_removed(phone: str) -> None:
    out = _clean(f"joignable au {phone}, le soir")
    assert "[PHONE]" in out and not any(ch.isdigit() for ch in out), out


def test_addresses_with_zip_and_city_are_removed_whole() -> None:
    for text in (
        "domicile : 14, avenue paul doumer, 75016 paris",
        "vit chemin des vignes, 33170 gradignan",
        "adresse 2 RUE DES LILAS, 2A 004 AJACCIO",
    ):
        out = _clean(text)
        assert not any(
            w in out.lower() for w in ("doumer", "paris", "vignes", "gradignan", "lilas", "ajaccio")
        ), out


def test_a_name_put_after_an_elided_article_is_removed() -> None:
    out = _clean("Transféré à l'Bkt Santé pour la suite des soins.")
    assert "Bkt" not in out and "la suite des soins" in out


def test_a_record_label_takes_only_a_value_with_a_digit() -> None:
    out = _clean("Dossier envoyé à la MDPH. Dossier 4A12345 transmis.")
    assert "Dossier envoyé à la MDPH" in out and "4A12345" not in out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("n° de sécurité sociale : 1 85 05 78 006 084 36", "1 85 05 78 006 084 36"),
        ("N°SS 1.85.05.78.006.084.36", "1.85.05.78.006.084.36"),
        ("NSS : 2 94 03 2A 004 123 45", "2 94 03 2A 004 123 45"),
        ("NIR 2850578006084", "2850578006084"),
        ("IPP : 8001234567", "8001234567"),
        ("IPP:A123456", "A123456"),
        ("NDA 23-0012345", "23-0012345"),
        ("Dossier n° 2019-004512", "2019-004512"),
        ("numéro de séjour 45872", "45872"),
        ("N° patient : AB-4521", "AB-4521"),
    ],
)
def test_social_security_and_hospital_numbers_are_removed(text: str, value: str) -> None:
    out = _clean(text)
    assert value not in out and "[ID]" in out, out
