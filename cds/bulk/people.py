"""Synthetic persons for :mod:`cds.bulk.synth`: names, addresses and Test-Norge fødselsnummer.

All persons are fictional. The fødselsnummer follow the Test-Norge/Tenor convention of adding 80
to the month (examples/README.md), which no real person's number does, and carry valid control
digits so that validating systems accept them.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

GIVEN_FEMALE = (
    "Anne",
    "Inger",
    "Kari",
    "Marit",
    "Ingrid",
    "Liv",
    "Eva",
    "Berit",
    "Astrid",
    "Bjørg",
    "Hilde",
    "Nina",
    "Silje",
    "Ida",
    "Nora",
    "Emma",
    "Sara",
    "Ragnhild",
    "Solveig",
    "Tone",
)
GIVEN_MALE = (
    "Jan",
    "Per",
    "Bjørn",
    "Ole",
    "Lars",
    "Kjell",
    "Knut",
    "Arne",
    "Svein",
    "Hans",
    "Geir",
    "Terje",
    "Thomas",
    "Martin",
    "Andreas",
    "Jonas",
    "Magnus",
    "Erik",
    "Odd",
    "Rune",
)
# Surnames that are obviously made up, as in examples/ («Eksempelsen»), so that a synthetic
# record is never mistaken for a real person's.
FAMILY = (
    "Testesen",
    "Prøvesen",
    "Eksempelsen",
    "Syntetisk",
    "Fiktivsen",
    "Dummybakken",
    "Testerud",
    "Prøvedal",
    "Eksempelberg",
    "Testvik",
    "Simulasjonsen",
    "Modellstad",
)
# (street, postal code, city, municipality, county): ordinary street names in real municipalities.
ADDRESSES = (
    ("Storgata 12", "0184", "Oslo", "Oslo", "Oslo"),
    ("Kirkegata 21", "4611", "Kristiansand S", "Kristiansand", "Agder"),
    ("Nygårdsgaten 5", "5015", "Bergen", "Bergen", "Vestland"),
    ("Olav Tryggvasons gate 30", "7011", "Trondheim", "Trondheim", "Trøndelag"),
    ("Storgata 40", "9008", "Tromsø", "Tromsø", "Troms"),
    ("Kongens gate 8", "6002", "Ålesund", "Ålesund", "Møre og Romsdal"),
    ("Torggata 3", "2317", "Hamar", "Hamar", "Innlandet"),
    ("Nedre Langgate 15", "3126", "Tønsberg", "Tønsberg", "Vestfold"),
    ("Kirkegata 2", "4006", "Stavanger", "Stavanger", "Rogaland"),
    ("Storgata 1", "8006", "Bodø", "Bodø", "Nordland"),
)

_FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control(digits: list[int], weights: tuple[int, ...]) -> int | None:
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if rest == 11:
        return 0
    return None if rest == 10 else rest


def synthetic_fnr(born: date, gender: str, rng: random.Random) -> str:
    """A Test-Norge fødselsnummer (month + 80) for ``born``; odd 9th digit for men, even else."""
    # The individual number's range encodes the century (1900-1999: 000-499, 2000-2039: 500-999).
    low, high = (0, 499) if born.year < 2000 else (500, 999)
    head = f"{born.day:02d}{born.month + 80:02d}{born.year % 100:02d}"
    while True:  # about one individual number in six has no valid control digit: draw again
        individual = rng.randint(low, high)
        if (individual % 2 == 1) != (gender == "male"):
            continue
        digits = [int(c) for c in f"{head}{individual:03d}"]
        k1 = _control(digits, _K1)
        if k1 is None:
            continue
        k2 = _control([*digits, k1], _K2)
        if k2 is not None:
            return "".join(map(str, digits)) + f"{k1}{k2}"


def person_fields(born: date, gender: str, rng: random.Random) -> dict[str, Any]:
    """The Patient's identifier and name: a synthetic fødselsnummer and made-up names."""
    given = rng.choice(GIVEN_MALE if gender == "male" else GIVEN_FEMALE)
    return {
        "identifier": [
            {"use": "official", "system": _FNR_SYSTEM, "value": synthetic_fnr(born, gender, rng)}
        ],
        "name": [{"use": "official", "family": rng.choice(FAMILY), "given": [given]}],
    }


def address(rng: random.Random) -> dict[str, Any]:
    """A home address in one of the health regions' municipalities."""
    line, postal, city, municipality, county = rng.choice(ADDRESSES)
    return {
        "use": "home",
        "type": "physical",
        "line": [line],
        "postalCode": postal,
        "city": city,
        "district": municipality,
        "state": county,
        "country": "NO",
    }
