"""Build the demo camp scenario (``demo-camp.json``) from a fixed seed. Pure Python, no Django.

The camp is synthetic: about 3,000 residents near a capital, seven hospitals, a waiting list of a
few hundred referrals, and trips since March 2014 under the access rules reported for such camps
(from mid-June 2014 at most four patients a day, to one hospital a day). Five case histories follow
published accounts, pseudonymised, with source "publication" and certainty "unverified"; everything
else is marked synthetic. Run ``python -m corridor.scenarios.build_demo`` to rewrite the JSON; a test
checks that the shipped file is exactly what this produces.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path
from typing import Any

SEED = 20141014
TODAY = dt.date(2014, 10, 14)
HISTORY_FROM = dt.date(2014, 3, 1)
RULES_CHANGE = dt.date(2014, 6, 15)
FRIDAY = 4
ALL_BUT_FRIDAY = [0, 1, 2, 3, 5, 6]
WORK_WEEK = [6, 0, 1, 2, 3]  # Sunday to Thursday

FACILITIES: list[dict[str, Any]] = [
    {
        "code": "H-01",
        "name": "Capital Oncology Hospital",
        "specialties": ["oncology", "imaging"],
        "days": WORK_WEEK,
        "hours": ["08:00", "14:00"],
        "travel_minutes": 70,
    },
    {
        "code": "H-02",
        "name": "National Eye Hospital",
        "specialties": ["ophthalmology"],
        "days": WORK_WEEK,
        "hours": ["08:00", "13:00"],
        "travel_minutes": 60,
    },
    {
        "code": "H-03",
        "name": "Heart Centre",
        "specialties": ["cardiology"],
        "days": ALL_BUT_FRIDAY,
        "hours": ["08:00", "12:30"],
        "travel_minutes": 75,
    },
    {
        "code": "H-04",
        "name": "City Teaching Hospital",
        "specialties": ["general_surgery", "orthopaedics", "neurology", "imaging", "other"],
        "days": ALL_BUT_FRIDAY,
        "hours": ["08:00", "14:00"],
        "travel_minutes": 50,
    },
    {
        "code": "H-05",
        "name": "Kidney and Dialysis Centre",
        "specialties": ["nephrology"],
        "days": ALL_BUT_FRIDAY,
        "hours": ["07:00", "15:00"],
        "travel_minutes": 55,
    },
    {
        "code": "H-06",
        "name": "Women's and Children's Hospital",
        "specialties": ["obstetrics", "paediatrics"],
        "days": WORK_WEEK,
        "hours": ["08:00", "14:00"],
        "travel_minutes": 65,
    },
    {
        "code": "H-07",
        "name": "Orthopaedic and Neurology Hospital",
        "specialties": ["orthopaedics", "neurology"],
        "days": WORK_WEEK,
        "hours": ["08:00", "13:30"],
        "travel_minutes": 80,
    },
]
# The reference names in Persian and Arabic, keyed by the English name a row is given, so that a page in
# either language names the camp's hospitals, sites and supplies the way a reader there would say them.
NAMES: dict[str, dict[str, str]] = {
    "Demo Camp": {"fa": "اردوگاه نمونه", "ar": "المخيم التجريبي"},
    "Demo Crossing": {"fa": "گذرگاه نمونه", "ar": "المعبر التجريبي"},
    "Capital Oncology Hospital": {"fa": "بیمارستان سرطان پایتخت", "ar": "مستشفى العاصمة للأورام"},
    "National Eye Hospital": {"fa": "بیمارستان ملی چشم", "ar": "مستشفى العيون الوطني"},
    "Heart Centre": {"fa": "مرکز قلب", "ar": "مركز القلب"},
    "City Teaching Hospital": {"fa": "بیمارستان آموزشی شهر", "ar": "مستشفى المدينة التعليمي"},
    "Kidney and Dialysis Centre": {"fa": "مرکز کلیه و دیالیز", "ar": "مركز الكلى وغسيل الكلى"},
    "Women's and Children's Hospital": {"fa": "بیمارستان زنان و کودکان", "ar": "مستشفى النساء والأطفال"},
    "Orthopaedic and Neurology Hospital": {"fa": "بیمارستان ارتوپدی و اعصاب", "ar": "مستشفى العظام والأعصاب"},
    "Diesel for the generators": {"fa": "گازوئیل مولدها", "ar": "ديزل المولدات"},
    "Food rations (one person, one day)": {
        "fa": "جیره غذایی (یک نفر، یک روز)",
        "ar": "حصص غذائية (شخص واحد، يوم واحد)",
    },
    "Insulin (10 ml vials, kept cold)": {
        "fa": "انسولین (ویال ۱۰ میلی‌لیتری، نگه‌داری در سرما)",
        "ar": "إنسولين (قوارير 10 مل، تُحفظ باردة)",
    },
    "Antibiotics (adult courses)": {
        "fa": "آنتی‌بیوتیک (دوره‌های درمان بزرگسالان)",
        "ar": "مضادات حيوية (علاجات للبالغين)",
    },
    "Medical oxygen cylinders": {"fa": "کپسول‌های اکسیژن پزشکی", "ar": "أسطوانات الأكسجين الطبي"},
    "Trucked drinking water": {"fa": "آب آشامیدنی تانکری", "ar": "مياه الشرب المنقولة بالصهاريج"},
    "Free space in the septic tanks": {"fa": "ظرفیت خالی چاه‌های فاضلاب", "ar": "السعة الفارغة في خزانات الصرف الصحي"},
}
SPECIALTY_MIX = {
    "oncology": 0.15,
    "ophthalmology": 0.15,
    "cardiology": 0.12,
    "orthopaedics": 0.14,
    "nephrology": 0.05,
    "neurology": 0.08,
    "general_surgery": 0.10,
    "obstetrics": 0.05,
    "paediatrics": 0.05,
    "imaging": 0.08,
    "other": 0.03,
}
PRIORITY_MIX = {"P1": 0.05, "P2": 0.25, "P3": 0.35, "P4": 0.35}
DEADLINE = {"P1": 1, "P2": 14, "P3": 30, "P4": 90}
PUBLICATION = {"source": "publication", "certainty": "unverified"}
SYNTHETIC = {"source": "document", "certainty": "confirmed", "synthetic": True}
WITNESS = {"source": "witness", "certainty": "confirmed"}


def _eligible(specialty: str) -> list[str]:
    return [f["code"] for f in FACILITIES if specialty in f["specialties"]]


def _open(code: str, day: dt.date) -> bool:
    return day.weekday() in next(f for f in FACILITIES if f["code"] == code)["days"]


def _at(day: dt.date, hhmm: str) -> str:
    """A local time at the camp (UTC+3) as an ISO string with offset."""
    return f"{day.isoformat()}T{hhmm}:00+03:00"


def _hhmm(minutes: float) -> str:
    minutes = int(round(minutes))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class _History:
    """The camp's register as it is drawn: patients, referrals still waiting and every action, from one
    random stream. The steps run in a fixed order (:func:`build`), so the same seed draws the same camp."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.actions: list[dict[str, Any]] = []
        self.patients: list[dict[str, Any]] = []
        self.waiting: dict[str, dict[str, Any]] = {}  # referral ref -> referral
        self.counter = {"patient": 4, "referral": 0, "trip": 0}

    def new_patient(self, code: str | None = None, registered: dt.date = HISTORY_FROM, **extra: Any) -> str:
        if code is None:
            self.counter["patient"] += 1
            code = f"P-{self.counter['patient']:04d}"
        number = int(code.split("-")[1])
        patient = {
            "code": code,
            "registered_on": registered.isoformat(),
            "sex": self.rng.choice(["f", "m"]),
            "birth_year": self.rng.randint(1935, 2012),
            "identity": {
                "full_name": f"Synthetic Resident {number:04d}",
                "contact": f"Block {number % 40 + 1}",
                "notes": "",
            },
            "synthetic": True,
            "depends_on_power": False,
            **extra,
        }
        self.patients.append(patient)
        return code

    def refer(
        self, patient: str, day: dt.date, specialty: str, priority: str, evidence: dict[str, Any], **extra: Any
    ) -> str:
        self.counter["referral"] += 1
        ref = f"R{self.counter['referral']}"
        referral = {
            "action": "referral",
            "ref": ref,
            "patient": patient,
            "specialty": specialty,
            "priority": priority,
            "referral_date": day.isoformat(),
            "facilities": _eligible(specialty),
            **evidence,
            **extra,
        }
        self.actions.append(referral)
        self.waiting[ref] = referral
        return ref

    def case_histories(self) -> None:
        """The five published case histories (pseudonymous codes P-0001 … P-0004)."""
        self.new_patient("P-0001", dt.date(2014, 4, 5), sex="m", birth_year=1961, synthetic=False)
        self.new_patient("P-0002", dt.date(2012, 10, 14), sex="f", birth_year=1950, synthetic=False)
        self.new_patient(
            "P-0003", dt.date(2013, 2, 1), sex="m", birth_year=1957, synthetic=False, depends_on_power=True
        )
        self.new_patient("P-0004", dt.date(2014, 7, 28), sex="m", birth_year=1966, synthetic=False)

    def backlog(self) -> None:
        """A backlog from before the window: long waits for routine surgery."""
        rng = self.rng
        old_referrals: list[tuple[dt.date, str, str, dict[str, Any]]] = [
            (
                dt.date(2012, 10, 14),
                "P-0002",
                "ophthalmology",
                {**PUBLICATION, "diagnosis": "cataract, both eyes; surgery needed", "diagnosis_icd10": "H26.9"},
            )
        ]
        for _ in range(38):
            day = dt.date(2012, 11, 1) + dt.timedelta(days=rng.randint(0, 480))
            code = self.new_patient(registered=day)
            specialty = rng.choice(["ophthalmology", "orthopaedics", "general_surgery", "neurology"])
            old_referrals.append((day, code, specialty, SYNTHETIC))
        for day, code, specialty, evidence in sorted(old_referrals, key=lambda r: r[0]):
            self.refer(code, day, specialty, "P4" if evidence is PUBLICATION or rng.random() < 0.6 else "P3", evidence)

    def arrivals(self, day: dt.date) -> None:
        """One day's new referrals: Poisson, about 2.2 a day across the classes, and the case histories'."""
        if day in _CASE_REFERRALS:
            code, specialty, priority, evidence = _CASE_REFERRALS[day]
            self.refer(code, day, specialty, priority, evidence)
        rng = self.rng
        for _ in range(_poisson(rng, 2.2)):
            code = self.new_patient(registered=day)
            specialty = rng.choices(list(SPECIALTY_MIX), weights=list(SPECIALTY_MIX.values()))[0]
            priority = rng.choices(list(PRIORITY_MIX), weights=list(PRIORITY_MIX.values()))[0]
            if specialty == "nephrology" and rng.random() < 0.6:
                next(p for p in self.patients if p["code"] == code)["depends_on_power"] = True
            self.refer(code, day, specialty, priority, SYNTHETIC)

    def _died(self, patient: str, day: dt.date, **how: Any) -> None:
        self.actions.append({"action": "death", "patient": patient, "date": day.isoformat(), **how})
        for other, item in list(self.waiting.items()):
            if item["patient"] == patient:
                del self.waiting[other]

    def deaths(self, day: dt.date) -> None:
        """Deaths while waiting among the most urgent (synthetic), and the published one of P-0004."""
        for referral in list(self.waiting.values()):
            if referral["ref"] not in self.waiting or referral["patient"] in {"P-0001", "P-0002", "P-0003", "P-0004"}:
                continue
            if referral["priority"] in ("P1", "P2") and self.rng.random() < 0.002:
                self._died(referral["patient"], day, circumstances="died while waiting (synthetic)", **SYNTHETIC)
        if day == dt.date(2014, 9, 18):
            self._died(
                "P-0004",
                day,
                **PUBLICATION,
                after_denied_care=True,
                circumstances="died after two denied trips to the oncology hospital",
            )

    def days(self) -> None:
        """Every day from 1 January 2014 to the demo's today: arrivals, the day's trips, deaths."""
        day = dt.date(2014, 1, 1)
        while day < TODAY:
            self.arrivals(day)
            if day >= HISTORY_FROM and day.weekday() != FRIDAY:
                self.trips(day)
            self.deaths(day)
            day += dt.timedelta(days=1)

    def trips(self, day: dt.date) -> None:
        _one_day_of_trips(self.rng, day, _FIXED_TRIPS.get(day), self.waiting, self.actions, self.counter, self.refer)


# Trips fixed by the case histories: date -> (facility, patient who must be on it, what happened).
_FIXED_TRIPS: dict[dt.date, dict[str, Any]] = {
    dt.date(2014, 5, 15): {"facility": "H-07", "patient": "P-0001", "fate": "seen_cancer"},
    **{
        day: {"facility": "H-01", "patient": "P-0001", "fate": "cancelled"}
        for day in (
            dt.date(2014, 6, 22),
            dt.date(2014, 7, 6),
            dt.date(2014, 7, 27),
            dt.date(2014, 8, 17),
            dt.date(2014, 9, 7),
            dt.date(2014, 9, 28),
        )
    },
    dt.date(2014, 8, 20): {"facility": "H-01", "patient": "P-0004", "fate": "denied"},
    dt.date(2014, 9, 3): {"facility": "H-01", "patient": "P-0004", "fate": "denied"},
    dt.date(2014, 10, 11): {"facility": "H-03", "patient": "P-0003", "fate": "held"},
}

# The case histories' referrals: date -> (patient, specialty, priority, evidence).
_CASE_REFERRALS: dict[dt.date, tuple[str, str, str, dict[str, Any]]] = {
    dt.date(2014, 4, 5): (
        "P-0001",
        "orthopaedics",
        "P3",
        {**PUBLICATION, "diagnosis": "pain in the hip and back; orthopaedic visit"},
    ),
    dt.date(2014, 7, 28): (
        "P-0004",
        "oncology",
        "P2",
        {**PUBLICATION, "diagnosis": "stomach cancer", "diagnosis_icd10": "C16.9"},
    ),
    dt.date(2014, 10, 10): (
        "P-0003",
        "cardiology",
        "P1",
        {**PUBLICATION, "diagnosis": "unstable angina", "diagnosis_icd10": "I20.0"},
    ),
}


def build(seed: int = SEED) -> dict[str, Any]:
    """The demo scenario drawn from ``seed``: the camp's history day by day, then its blockade, companions and
    the crossing, framed as a scenario file (the shipped ``demo-camp.json`` is ``build()``)."""
    camp = _History(seed)
    camp.case_histories()
    camp.backlog()
    camp.days()
    actions = camp.actions
    # The blockade: fuel from 13 August, food and medicine from 20 August, weekly attempts since; the
    # stocks, deliveries, power and patients that depend on them (see _supplies).
    actions.extend(_supplies(seed, camp.patients, actions))
    # Companions: the roster, and the reported case of a cardiac patient whose interpreter and nurse were
    # rejected trip after trip (see _companions).
    actions = _companions(actions)
    crossing_patients, crossing_actions = _crossing()
    actions.extend(crossing_actions)
    actions.sort(key=_action_date)
    return _scenario([*camp.patients, *crossing_patients], actions)


def _scenario(patients: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The scenario file around the drawn patients and actions: the sites, hospitals and rules in force."""
    return {
        "format": "corridor-scenario/1",
        "name": "demo-camp",
        "description": "A synthetic camp of about 3,000 residents near a capital city, 2012–2014. Case "
        "histories P-0001 to P-0004 follow published accounts (pseudonymised); everything else is synthetic.",
        "today": TODAY.isoformat(),
        "site": {
            "code": "CAMP-1",
            "name": "Demo Camp",
            "names": NAMES["Demo Camp"],
            "country": "XX",
            "population": 3000,
            "time_zone": "Etc/GMT-3",
        },
        "facilities": [
            {
                "code": f["code"],
                "name": f["name"],
                "names": NAMES[f["name"]],
                "specialties": f["specialties"],
                "opening_hours": {str(d): f["hours"] for d in f["days"]},
                "travel_minutes": f["travel_minutes"],
            }
            for f in FACILITIES
        ],
        "rules": [
            {
                "effective_from": "2013-01-01",
                "max_patients_per_day": 10,
                "max_facilities_per_day": 3,
                "max_escorts_per_day": 10,
                "allowed_weekdays": ALL_BUT_FRIDAY,
                "camp_chooses_patients": True,
                "camp_chooses_escorts": True,
                "camp_chooses_appointment_time": True,
                "notes": "Rules reported before mid-2014.",
                **PUBLICATION,
            },
            {
                "effective_from": RULES_CHANGE.isoformat(),
                "max_patients_per_day": 4,
                "max_facilities_per_day": 1,
                "max_escorts_per_day": 4,
                "allowed_weekdays": ALL_BUT_FRIDAY,
                "notes": "Reported: at most four patients a day, to one hospital a day; the camp chooses neither "
                "the doctor, the hospital, the appointment time nor the interpreter.",
                **PUBLICATION,
            },
        ],
        "other_sites": [CROSSING],
        "patients": sorted(patients, key=lambda p: p["code"]),
        "actions": actions,
    }


# The second, small site: a crossing beside the camp, with its own rules, a coordinator who works there
# only, and records nobody at the camp sees (docs/roles.md, "Sites"). Fixed, synthetic data: it draws
# nothing from the camp's random stream, so the camp's history is the same with or without it.
CROSSING: dict[str, Any] = {
    "code": "XING-1",
    "name": "Demo Crossing",
    "names": NAMES["Demo Crossing"],
    "country": "XX",
    "population": 600,
    "time_zone": "Etc/GMT-3",
    "rules": [
        {
            "effective_from": "2014-01-01",
            "max_patients_per_day": 2,
            "max_facilities_per_day": 1,
            "max_escorts_per_day": 2,
            "allowed_weekdays": WORK_WEEK,
            "notes": "Reported for the crossing: two patients a day, to one hospital.",
            **PUBLICATION,
        }
    ],
}


def _crossing() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The crossing's few patients, their referrals, one trip and one supply item."""
    site = {"site": CROSSING["code"]}
    cases = [  # code, sex, birth year, specialty, priority, referred on
        ("X-0001", "f", 1958, "oncology", "P2", dt.date(2014, 9, 22)),
        ("X-0002", "m", 2009, "ophthalmology", "P3", dt.date(2014, 9, 3)),
        ("X-0003", "m", 1947, "cardiology", "P2", dt.date(2014, 10, 1)),
        ("X-0004", "f", 1990, "oncology", "P4", dt.date(2014, 8, 18)),
    ]
    patients = [
        {
            "code": code,
            "registered_on": "2014-03-01",
            "sex": sex,
            "birth_year": born,
            "identity": {"full_name": f"Synthetic Crossing Resident {code[2:]}", "contact": "Crossing shelter"},
            "synthetic": True,
            **site,
        }
        for code, sex, born, *_ in cases
    ]
    actions: list[dict[str, Any]] = [
        {
            "action": "referral",
            "ref": f"XR{n}",
            "patient": code,
            "specialty": specialty,
            "priority": priority,
            "referral_date": day.isoformat(),
            "facilities": _eligible(specialty),
            **SYNTHETIC,
            **site,
        }
        for n, (code, _sex, _born, specialty, priority, day) in enumerate(cases, start=1)
    ]
    # One trip to the oncology hospital for the two oncology referrals, asked for tomorrow.
    trip_day = TODAY + dt.timedelta(days=1)
    actions.append(
        {
            "action": "trip.request",
            "ref": "XT1",
            "date": trip_day.isoformat(),
            "facility": "H-01",
            "referrals": ["XR1", "XR4"],
            **SYNTHETIC,
            **site,
        }
    )
    water = {
        "code": "water",
        "name": "Trucked drinking water",
        "names": NAMES["Trucked drinking water"],
        "category": "water",
        "unit": "cubic metres",
    }
    actions.append(
        {"action": "supply.item", "date": "2014-09-01", **water, "critical_threshold": 30, "needs_power": False}
        | {"synthetic": True, **site}
    )
    actions.append(
        {"action": "supply.count", "item": "water", "date": TODAY.isoformat(), "quantity": 85, "unit": "cubic metres"}
        | {**SYNTHETIC, **site}
    )
    return patients, actions


# The camp's supplies (synthetic). Per item: code, name, category, unit, critical threshold, whether it
# needs power, stock on SUPPLIES_FROM, the weekly delivery asked for, the rounding of counts, and the
# daily use through the phases of the blockade as (from, mean use a day): rationing follows the blockade.
SUPPLIES_FROM = dt.date(2014, 6, 1)
FUEL_BLOCKED = dt.date(2014, 8, 13)
FOOD_AND_MEDICINE_BLOCKED = dt.date(2014, 8, 20)
SUPPLY_ITEMS: list[dict[str, Any]] = [
    {
        "code": "diesel",
        "name": "Diesel for the generators",
        "category": "diesel",
        "unit": "litres",
        "critical_threshold": 2000,
        "needs_power": False,
        "stock": 9500,
        "weekly": 2400,
        "round": 10,
        "use": [(SUPPLIES_FROM, 340), (dt.date(2014, 8, 16), 170), (dt.date(2014, 9, 6), 80)],
    },
    {
        "code": "food",
        "name": "Food rations (one person, one day)",
        "category": "food",
        "unit": "rations",
        "critical_threshold": 3000,
        "needs_power": False,
        "stock": 34000,
        "weekly": 9000,
        "round": 10,
        "use": [(SUPPLIES_FROM, 1280), (dt.date(2014, 8, 24), 450)],
    },
    {
        "code": "insulin",
        "name": "Insulin (10 ml vials, kept cold)",
        "category": "medicine",
        "unit": "vials",
        "critical_threshold": 40,
        "needs_power": True,
        "stock": 330,
        "weekly": 32,
        "round": 1,
        "use": [(SUPPLIES_FROM, 4.5)],
    },
    {
        "code": "antibiotics",
        "name": "Antibiotics (adult courses)",
        "category": "medicine",
        "unit": "courses",
        "critical_threshold": 100,
        "needs_power": False,
        "stock": 650,
        "weekly": 100,
        "round": 1,
        "use": [(SUPPLIES_FROM, 14), (dt.date(2014, 9, 1), 9)],
    },
    {
        "code": "oxygen",
        "name": "Medical oxygen cylinders",
        "category": "oxygen",
        "unit": "cylinders",
        "critical_threshold": 10,
        "needs_power": False,
        "stock": 40,
        "weekly": 14,
        "round": 1,
        "use": [(SUPPLIES_FROM, 2)],
    },
    {
        "code": "water",
        "name": "Trucked drinking water",
        "category": "water",
        "unit": "cubic metres",
        "critical_threshold": 150,
        "needs_power": True,
        "stock": 650,
        "weekly": 200,
        "round": 1,
        "use": [(SUPPLIES_FROM, 28)],
    },
    {
        "code": "septic",
        "name": "Free space in the septic tanks",
        "category": "sewage_service",
        "unit": "cubic metres",
        "critical_threshold": 100,
        "needs_power": False,
        "stock": 600,
        "weekly": 120,
        "round": 1,
        "use": [(SUPPLIES_FROM, 18)],
    },
]
GENERATOR: dict[str, Any] = {"code": "GEN-1", "fuel": "diesel", "litres_per_hour": 16}


def _allowed_share(code: str, day: dt.date) -> float:
    """How much of the week's delivery the gate let through: all before the blockade, then none (fuel,
    food, medicine), or part (oxygen refills, septic trucks)."""
    if code == "diesel":
        return 0.0 if day >= FUEL_BLOCKED else 1.0
    if code in ("food", "insulin", "antibiotics"):
        return 0.0 if day >= FOOD_AND_MEDICINE_BLOCKED else 1.0
    if code == "oxygen":
        return 12 / 14 if day >= FOOD_AND_MEDICINE_BLOCKED else 1.0
    if code == "septic":
        return 0.75 if day >= FUEL_BLOCKED else 1.0
    return 1.0


def _supplies(seed: int, patients: list[dict[str, Any]], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stocks, weekly deliveries (allowed, then blocked), counts twice a week, power and dependences.

    Its own random stream, so that the camp's patients and trips stay exactly as they were.
    """
    rng = random.Random(f"{seed}-supplies")
    out: list[dict[str, Any]] = []
    start = SUPPLIES_FROM.isoformat()
    for item in SUPPLY_ITEMS:
        out.append(
            {
                "action": "supply.item",
                "date": start,
                **{k: item[k] for k in ("code", "name", "category", "unit", "critical_threshold", "needs_power")},
                "names": NAMES[item["name"]],
                "synthetic": True,
            }
        )
    out.append({"action": "generator", "date": start, **GENERATOR, "synthetic": True})
    # Known losses, recorded as adjustments (not use): a leak, and insulin spoiled in a long outage.
    losses = {
        ("diesel", dt.date(2014, 9, 2)): (-150, "leak found in the day tank"),
        ("insulin", dt.date(2014, 9, 20)): (-12, "spoiled: the refrigerator was off through a 19-hour outage"),
    }
    outage_day = dt.date(2014, 9, 19)
    stock = {item["code"]: float(item["stock"]) for item in SUPPLY_ITEMS}
    day = SUPPLIES_FROM
    while day < TODAY:
        counting = day.weekday() in (2, 6)  # Wednesdays and Sundays, at the close of the day
        diesel_today = 0.0
        for item in SUPPLY_ITEMS:
            code = item["code"]
            rate = [mean for since, mean in item["use"] if since <= day][-1]
            used = min(max(rate * (1 + rng.gauss(0, 0.08)), 0.0), stock[code])
            if code == "diesel" and day == outage_day:
                used = min(5 * GENERATOR["litres_per_hour"], stock[code])
            stock[code] -= used
            if code == "diesel":
                diesel_today = used
            if day.weekday() == 2 and day >= SUPPLIES_FROM + dt.timedelta(days=3):
                share = _allowed_share(code, day)
                blocked_elsewhere = (code == "diesel" and day >= FUEL_BLOCKED) or (
                    code in ("food", "insulin", "antibiotics") and day >= FOOD_AND_MEDICINE_BLOCKED
                )
                if not blocked_elsewhere:
                    allowed = round(item["weekly"] * share)
                    stock[code] += allowed
                    out.append(
                        {
                            "action": "supply.delivery",
                            "item": code,
                            "date": day.isoformat(),
                            "quantity": item["weekly"],
                            "unit": item["unit"],
                            "status": "allowed" if share == 1.0 else "partly_allowed",
                            "quantity_allowed": allowed,
                            "reason": "" if share == 1.0 else "only part of the trucks let through; no reason given",
                            **SYNTHETIC,
                        }
                    )
            if (code, day) in losses:
                quantity, reason = losses[(code, day)]
                stock[code] += quantity
                out.append(
                    {
                        "action": "supply.adjust",
                        "item": code,
                        "date": day.isoformat(),
                        "quantity": quantity,
                        "unit": item["unit"],
                        "reason": reason,
                        **SYNTHETIC,
                    }
                )
            if counting:
                step = item["round"]
                out.append(
                    {
                        "action": "supply.count",
                        "item": code,
                        "date": day.isoformat(),
                        "quantity": round(stock[code] / step) * step,
                        "unit": item["unit"],
                        **SYNTHETIC,
                    }
                )
        if day >= FUEL_BLOCKED and (counting or day == outage_day):
            out.append(
                {
                    "action": "power.day",
                    "generator": GENERATOR["code"],
                    "date": day.isoformat(),
                    "fuel_used": round(diesel_today),
                    # Only the outage the camp's log gives is recorded: on other days it is not known.
                    **({"outage_hours": 19} if day == outage_day else {}),
                    "note": "19 hours without power; the clinic's refrigerator off" if day == outage_day else "",
                    **SYNTHETIC,
                }
            )
        day += dt.timedelta(days=1)

    # The blocked deliveries, as reported: the first of each from a publication, the weekly attempts since.
    for supply, blocked_from, quantity, unit in (
        ("diesel", FUEL_BLOCKED, 2400, "litres"),
        ("food", FOOD_AND_MEDICINE_BLOCKED, 9000, "rations"),
        ("medicine", FOOD_AND_MEDICINE_BLOCKED, 120, "boxes"),
    ):
        attempt = blocked_from
        while attempt < TODAY:
            out.append(
                {
                    "action": "supply.blocked",
                    "item": supply,
                    "date": attempt.isoformat(),
                    "quantity": quantity,
                    "unit": unit,
                    "reason": "",
                    **(PUBLICATION if attempt == blocked_from else SYNTHETIC),
                }
            )
            attempt += dt.timedelta(days=7)

    # Who depends on what: dialysis patients on power and water, some on insulin kept cold, a few on oxygen.
    died = {a["patient"]: a["date"] for a in actions if a["action"] == "death"}
    candidates = [
        p
        for p in patients
        if p["synthetic"] and p["code"] not in died and p["registered_on"] <= start and not p["depends_on_power"]
    ]
    for p in patients:
        since = max(p["registered_on"], start)
        if p["synthetic"] and p["depends_on_power"] and died.get(p["code"], "9999") > since:
            for needed in ("diesel", "water"):
                out.append(
                    {
                        "action": "dependence",
                        "patient": p["code"],
                        "item": needed,
                        "need": "dialysis",
                        "date": since,
                        **SYNTHETIC,
                    }
                )
    chosen = rng.sample(candidates, 16)
    for p in chosen[:12]:
        p["depends_on_power"] = True  # the insulin must be kept cold
        out.append(
            {
                "action": "dependence",
                "patient": p["code"],
                "item": "insulin",
                "need": "refrigerated_medicine",
                "date": start,
                **SYNTHETIC,
            }
        )
    for p in chosen[12:15]:
        out.append(
            {
                "action": "dependence",
                "patient": p["code"],
                "item": "oxygen",
                "need": "oxygen",
                "date": start,
                **SYNTHETIC,
            }
        )
    concentrator = chosen[15]
    concentrator["depends_on_power"] = True
    out.append(
        {
            "action": "dependence",
            "patient": concentrator["code"],
            "item": "diesel",
            "need": "oxygen",
            "date": start,
            **SYNTHETIC,
        }
    )
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


ROSTER = (
    ("C-0001", "interpreter"),
    ("C-0002", "nurse"),
    ("C-0003", "escort"),
    ("C-0004", "escort"),
)


def _companions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put the camp's companions on the roster, and ask for them on trips.

    As reported, residents cannot choose the nurse or the interpreter, and a cardiac patient's
    interpreter and nurse were rejected again and again: the cardiology patient with the most trips
    asks for interpreter C-0001 and nurse C-0002 on each; the authority rejects the interpreter every
    time and the nurse too, once sending a nurse of its own instead. P-0003's escort on the trip held
    at the gate was approved. Each ask follows its trip's request, before anything else on that trip.
    """
    specialty = {a["ref"]: a["specialty"] for a in actions if a["action"] == "referral"}
    patient_of = {a["ref"]: a["patient"] for a in actions if a["action"] == "referral"}
    trips_of: dict[str, list[str]] = {}
    for action in actions:
        if action["action"] == "trip.request":
            for ref in action["referrals"]:
                if specialty[ref] == "cardiology" and not patient_of[ref].startswith("P-000"):
                    trips_of.setdefault(patient_of[ref], []).append(action["ref"])
    cardiac = max(sorted(trips_of), key=lambda code: len(trips_of[code]))
    case_trips = trips_of[cardiac]
    out: list[dict[str, Any]] = [
        {"action": "companion", "code": code, "kind": kind, "date": "2014-01-01", **SYNTHETIC} for code, kind in ROSTER
    ]
    for action in actions:
        out.append(action)
        if action["action"] != "trip.request":
            continue
        trip, day = action["ref"], action["date"]
        patients = [patient_of[ref] for ref in action["referrals"]]
        if trip in case_trips:
            for companion, role in (("C-0001", "interpreter"), ("C-0002", "nurse")):
                out.append(
                    {
                        "action": "companion.ask",
                        "trip": trip,
                        "date": day,
                        "companion": companion,
                        "for": cardiac,
                        **PUBLICATION,
                    }
                )
                answer = "rejected"
                note = f"the {role} was not allowed through; no reason given"
                if role == "nurse" and case_trips.index(trip) == 1:
                    answer, note = "substituted", "the authority sent a nurse of its own choosing"
                out.append(
                    {
                        "action": "companion.answer",
                        "trip": trip,
                        "date": day,
                        "companion": companion,
                        "answer": answer,
                        "note": note,
                        **PUBLICATION,
                    }
                )
        elif "P-0003" in patients and day == "2014-10-11":
            out.append(
                {
                    "action": "companion.ask",
                    "trip": trip,
                    "date": day,
                    "companion": "C-0003",
                    "for": "P-0003",
                    **PUBLICATION,
                }
            )
            out.append(
                {
                    "action": "companion.answer",
                    "trip": trip,
                    "date": day,
                    "companion": "C-0003",
                    "answer": "approved",
                    "note": "",
                    **PUBLICATION,
                }
            )
    return out


def _action_date(action: dict[str, Any]) -> str:
    for key in ("referral_date", "date"):
        if key in action:
            return str(action[key])
    raise KeyError(action)


def _one_day_of_trips(
    rng: random.Random,
    day: dt.date,
    fixed: dict[str, Any] | None,
    waiting: dict[str, dict[str, Any]],
    actions: list[dict[str, Any]],
    counter: dict[str, int],
    refer: Any,
) -> None:
    after = day >= RULES_CHANGE
    capacity, n_facilities = (4, 1) if after else (10, 3)
    released = {ref: r for ref, r in waiting.items() if r["referral_date"] <= day.isoformat()}
    # The authority's order: first come, first served, whatever the urgency.
    queue = sorted(released.items(), key=lambda item: (item[1]["referral_date"], int(item[0][1:])))
    facilities: list[str] = []
    if fixed:
        facilities.append(fixed["facility"])
    for _, referral in queue:
        if len(facilities) >= n_facilities:
            break
        for code in referral["facilities"]:
            if code not in facilities and _open(code, day):
                facilities.append(code)
                break
    seats = capacity
    for facility in facilities:
        if seats <= 0:
            break
        chosen: list[str] = []
        if fixed and facility == fixed["facility"]:
            chosen += [ref for ref, r in queue if r["patient"] == fixed["patient"] and facility in r["facilities"]][:1]
        for ref, referral in queue:
            if len(chosen) >= min(seats, 4 if after else 5):
                break
            if (
                ref not in chosen
                and facility in referral["facilities"]
                and not referral["patient"].startswith(("P-0001", "P-0002", "P-0003", "P-0004"))
                and all(waiting[c]["patient"] != referral["patient"] for c in chosen)
            ):
                chosen.append(ref)
        if not chosen:
            continue
        seats -= len(chosen)
        queue = [(ref, r) for ref, r in queue if ref not in chosen]
        counter["trip"] += 1
        trip = f"T{counter['trip']}"
        fate = fixed["fate"] if fixed and facility == fixed["facility"] else None
        evidence = PUBLICATION if fate else SYNTHETIC
        actions.append(
            {
                "action": "trip.request",
                "ref": trip,
                "date": day.isoformat(),
                "facility": facility,
                "referrals": chosen,
                **evidence,
            }
        )
        if fate is None:
            draw = rng.random()
            fate = (
                ("denied" if draw < 0.15 else "cancelled" if draw < 0.35 else "went")
                if after
                else ("denied" if draw < 0.04 else "cancelled" if draw < 0.08 else "went")
            )
        if fate == "denied":
            actions.append({"action": "trip.deny", "trip": trip, "date": day.isoformat(), "reason": "", **evidence})
            continue
        if fate == "cancelled":
            actions.append({"action": "trip.approve", "trip": trip, "date": day.isoformat(), **evidence})
            actions.append(
                {
                    "action": "trip.cancel",
                    "trip": trip,
                    "date": day.isoformat(),
                    "reason": "",
                    "cancelled_by": "authority",
                    **evidence,
                }
            )
            continue
        actions.append({"action": "trip.approve", "trip": trip, "date": day.isoformat(), **evidence})
        info = next(f for f in FACILITIES if f["code"] == facility)
        gate = 7 * 60 + 30 + rng.randint(0, 30)
        held = 210 if fate == "held" else rng.expovariate(1 / (90 if after else 40))
        release = gate + held
        arrive = release + info["travel_minutes"] + rng.randint(-10, 20)
        if fate == "held":  # as reported: held 3.5 hours from 07:45, at the hospital after the doctors left
            gate, release, arrive = 7 * 60 + 45, 7 * 60 + 45 + 210, 12 * 60 + 40
        closes = int(info["hours"][1][:2]) * 60 + int(info["hours"][1][3:])
        gate_evidence = PUBLICATION if fate == "held" else {**WITNESS, "synthetic": True}
        actions.append(
            {
                "action": "gate.arrive",
                "trip": trip,
                "date": day.isoformat(),
                "at": _at(day, _hhmm(gate)),
                **gate_evidence,
            }
        )
        actions.append(
            {
                "action": "gate.release",
                "trip": trip,
                "date": day.isoformat(),
                "at": _at(day, _hhmm(min(release, 23 * 60))),
                **gate_evidence,
            }
        )
        actions.append(
            {
                "action": "trip.arrive",
                "trip": trip,
                "date": day.isoformat(),
                "at": _at(day, _hhmm(min(arrive, 23 * 60 + 30))),
                **gate_evidence,
            }
        )
        late = arrive > closes
        for ref in chosen:
            referral = waiting[ref]
            if late:
                outcome, note = "no_doctor", "arrived after the doctors had left"
            else:
                draw = rng.random()
                outcome = (
                    "care_complete"
                    if draw < 0.40
                    else "seen"
                    if draw < 0.72
                    else "procedure_done"
                    if draw < 0.82
                    else "admitted"
                    if draw < 0.87
                    else "no_doctor"
                    if draw < 0.95
                    else "refused"
                )
                note = ""
            if fate == "seen_cancer" and referral["patient"] == "P-0001":
                # Seen for diagnosis, not treated: the referral stays in care and oncology is referred anew.
                outcome, note = "seen", "first seen; metastatic cancer found; referred on to oncology"
            actions.append(
                {
                    "action": "outcome",
                    "trip": trip,
                    "date": day.isoformat(),
                    "patient": referral["patient"],
                    "outcome": outcome,
                    "note": note,
                    **(PUBLICATION if referral["patient"] in ("P-0001", "P-0003") else SYNTHETIC),
                }
            )
            if outcome in ("seen", "procedure_done", "admitted", "care_complete"):
                del waiting[ref]
        actions.append(
            {
                "action": "trip.return",
                "trip": trip,
                "date": day.isoformat(),
                "at": _at(day, "17:00"),
                **{**WITNESS, "synthetic": True},
            }
        )
        if fate == "seen_cancer":
            refer(
                "P-0001",
                day,
                "oncology",
                "P2",
                {**PUBLICATION, "diagnosis": "metastatic cancer", "diagnosis_icd10": "C79.9"},
            )


def path() -> Path:
    return Path(__file__).with_name("demo-camp.json")


def dumps(scenario: dict[str, Any]) -> str:
    """The scenario as JSON with one record a line, so that a change to the generator reads as a small diff."""
    head = {k: v for k, v in scenario.items() if k not in ("patients", "actions")}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ","]
    for key in ("patients", "actions"):
        rows = [json.dumps(row, ensure_ascii=False) for row in scenario[key]]
        lines.append(f' "{key}": [\n  ' + ",\n  ".join(rows) + "\n ]" + ("," if key == "patients" else ""))
    return "\n".join(lines) + "\n}\n"


def main() -> None:
    path().write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {path()}")


if __name__ == "__main__":
    main()
