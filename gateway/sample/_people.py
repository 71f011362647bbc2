"""The people of the sample district: names, logins, identifiers and demographics.

Every function returns a record by column name, filling the columns of both OneRoster
versions, so the same code serves the district and the delta generator in either version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from random import Random

from gateway.sample._curriculum import GRADES
from gateway.sample._names import (
    FAMILY_NAMES,
    FEMALE_NAMES,
    MALE_NAMES,
    UNISEX_NAMES,
    ascii_fold,
)

__all__ = [
    "DOMAIN",
    "Person",
    "Record",
    "admin_user",
    "demographics_record",
    "draw_person",
    "role_record",
    "student_id",
    "student_number",
    "student_user",
    "teacher_user",
]

DOMAIN = "harborlakes.example.org"
Record = dict[str, str]

_RACES = ("hispanic", "black", "white", "asian", "two", "aian", "nhpi")
_RACE_WEIGHTS = tuple(accumulate((46.5, 35.0, 11.0, 4.5, 2.0, 0.5, 0.5)))
"""Roughly the mix of a large Midwestern city district."""
_RACE_FLAGS: dict[str, tuple[str, ...]] = {
    #           aian    asian   black   nhpi    white   2+      hispanic
    "hispanic": ("false", "false", "false", "false", "true", "false", "true"),
    "black": ("false", "false", "true", "false", "false", "false", "false"),
    "white": ("false", "false", "false", "false", "true", "false", "false"),
    "asian": ("false", "true", "false", "false", "false", "false", "false"),
    "two": ("false", "false", "true", "false", "true", "true", "false"),
    "aian": ("true", "false", "false", "false", "false", "false", "false"),
    "nhpi": ("false", "false", "false", "true", "false", "false", "false"),
}
_BIRTH_COUNTRIES = ("US", "MX", "PR", "GT", "IN", "PH", "PL", "NG", "UA", "VN")
_BIRTH_COUNTRY_WEIGHTS = tuple(accumulate((88.0, 5.0, 1.5, 1.0, 1.0, 1.0, 0.8, 0.6, 0.6, 0.5)))


@dataclass(frozen=True, slots=True)
class Person:
    given: str
    middle: str
    family: str
    sex: str
    """``female`` or ``male`` (the values both OneRoster versions accept)."""


def draw_person(rng: Random) -> Person:
    """A person with a given name that fits their recorded sex, and sometimes a middle name."""
    sex = "female" if rng.random() < 0.5 else "male"
    names = FEMALE_NAMES if sex == "female" else MALE_NAMES
    pool = UNISEX_NAMES if rng.random() < 0.06 else names
    middle = rng.choice(names) if rng.random() < 0.35 else ""
    return Person(rng.choice(pool), middle, rng.choice(FAMILY_NAMES), sex)


def student_id(number: int) -> str:
    return f"stu-{number:07d}"


def student_number(sourced_id: str) -> int:
    """Inverse of :func:`student_id`; 0 for ids that are not a sample student's."""
    prefix, _, digits = sourced_id.partition("-")
    return int(digits) if prefix == "stu" and digits.isdigit() else 0


def _state_id(number: int) -> str:
    # An affine map modulo 10**10 with a multiplier coprime to 10 is a bijection, so every
    # student gets a distinct, random-looking ten-digit state id.
    return f"{(number * 7_919_993 + 3_141_592_653) % 10**10:010d}"


def student_user(number: int, person: Person, grade: str, school: str, *,
                 status: str = "", modified: str = "") -> Record:
    sis = 50_000_000 + number
    username = f"{ascii_fold(person.given)}.{ascii_fold(person.family)}{number}"
    state = _state_id(number)
    return {
        "sourcedId": student_id(number), "status": status, "dateLastModified": modified,
        "enabledUser": "true", "username": username,
        "userIds": f"{{SIS:{sis}}},{{StateID:{state}}}",
        "givenName": person.given, "familyName": person.family, "middleName": person.middle,
        "identifier": state, "email": f"{username}@students.{DOMAIN}", "grades": grade,
        "primaryOrgSourcedId": school, "role": "student", "orgSourcedIds": school,
    }


def teacher_user(number: int, person: Person, school: str) -> Record:
    username = f"{ascii_fold(person.given)[0]}{ascii_fold(person.family)}{number}"
    return _staff_user(f"tch-{number:06d}", 700_000 + number, username, person, school,
                       "teacher")


def admin_user(number: int, person: Person, org: str) -> Record:
    username = f"{ascii_fold(person.given)[0]}{ascii_fold(person.family)}{number}.admin"
    return _staff_user(f"adm-{number:04d}", 900_000 + number, username, person, org,
                       "administrator")


def _staff_user(sid: str, employee: int, username: str, person: Person, org: str,
                role: str) -> Record:
    return {
        "sourcedId": sid, "enabledUser": "true", "username": username,
        "userIds": f"{{SIS:{employee}}}", "givenName": person.given,
        "familyName": person.family, "middleName": person.middle, "identifier": f"E{employee}",
        "email": f"{username}@{DOMAIN}", "primaryOrgSourcedId": org, "role": role,
        "orgSourcedIds": org,
    }


def role_record(user: str, role: str, org: str, begin: date, *, status: str = "",
             modified: str = "") -> Record:
    """The one primary role (1.2 ``roles.csv``) a sample user holds."""
    return {
        "sourcedId": f"rol-{user}", "status": status, "dateLastModified": modified,
        "userSourcedId": user, "roleType": "primary", "role": role,
        "beginDate": begin.isoformat(), "orgSourcedId": org,
    }


def demographics_record(rng: Random, user: str, grade: str, sex: str, *, status: str = "",
                     modified: str = "") -> Record:
    """A student's demographics; the birth date puts them in the right grade for 2026-27."""
    # Kindergartners turn 5 by September 1st, 2026; each grade up is one year older.
    born = date(2020 - GRADES.index(grade), 9, 2).toordinal() + rng.randrange(365)
    race = rng.choices(_RACES, cum_weights=_RACE_WEIGHTS)[0]
    aian, asian, black, nhpi, white, two, hispanic = _RACE_FLAGS[race]
    country = rng.choices(_BIRTH_COUNTRIES, cum_weights=_BIRTH_COUNTRY_WEIGHTS)[0]
    return {
        "sourcedId": user, "status": status, "dateLastModified": modified,
        "birthDate": date.fromordinal(born).isoformat(), "sex": sex,
        "americanIndianOrAlaskaNative": aian, "asian": asian, "blackOrAfricanAmerican": black,
        "nativeHawaiianOrOtherPacificIslander": nhpi, "white": white,
        "demographicRaceTwoOrMoreRaces": two, "hispanicOrLatinoEthnicity": hispanic,
        "countryOfBirthCode": country, "stateOfBirthAbbreviation": "IL" if country == "US" else "",
    }
