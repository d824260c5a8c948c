"""The reports' own code lists and their words: kinds of obstruction, the WHO SSA's attack types and
resources, age groups and diagnosis groups.

The codes are decided by the pure cores that count them (``obstruction``, ``ssa``, ``core``), which
cannot import Django; their words are here, as gettext messages, so that ``corridor.vocabulary`` names
them beside every other code list and a code reads the same in a report, an export and on a screen.
``tests/test_vocabulary.py`` checks that these lists hold exactly the cores' codes.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObstructionKind(models.TextChoices):
    """What obstructed a person's care, as counted by ``corridor.reports.obstruction``."""

    PERMIT_DENIED = "permit_denied", _("Permit denied")
    NO_ANSWER = "no_answer", _("No answer by the appointment")
    CANCELLED_BY_AUTHORITY = "cancelled_by_authority", _("Trip cancelled by the authority")
    HELD_AT_GATE = "held_at_gate", _("Held at the gate")
    TURNED_BACK = "turned_back", _("Turned back")
    ARRIVED_AFTER_CLOSING = "arrived_after_closing", _("Arrived after closing")
    COMPANION_REJECTED = "companion_rejected", _("Companion refused")
    DELIVERY_BLOCKED = "delivery_blocked", _("Delivery blocked")
    DELIVERY_CUT = "delivery_cut", _("Delivery cut")
    RECORDED = "recorded", _("Recorded incident")


class AttackType(models.TextChoices):
    """The WHO SSA's types of attack on health care (``corridor.reports.ssa``)."""

    VIOLENCE_INDIVIDUAL_WEAPONS = "violence_individual_weapons", _("Violence with individual weapons")
    VIOLENCE_HEAVY_WEAPONS = "violence_heavy_weapons", _("Violence with heavy weapons")
    PSYCHOLOGICAL_VIOLENCE = "psychological_violence", _("Psychological violence/threat of violence/intimidation")
    OBSTRUCTION = "obstruction", _("Obstruction to delivery of care")
    ASSAULT_WITHOUT_WEAPONS = "assault_without_weapons", _("Assault without weapons")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    ABDUCTION = "abduction", _("Abduction/arrest/detention of health personnel or patients")
    ARMED_SEARCH = "armed_search", _("Armed or violent search of health resource")
    REMOVAL_OF_ASSETS = "removal_of_assets", _("Removal of health care assets")
    SETTING_FIRE = "setting_fire", _("Setting fire to health resources")
    MILITARIZATION = "militarization", _("Militarization of health care facility")


class Resource(models.TextChoices):
    """The WHO SSA's health-care resources affected (``corridor.reports.ssa``)."""

    FACILITY = "facility", _("Health care facility")
    TRANSPORT = "transport", _("Health care transport")
    PERSONNEL = "personnel", _("Health care personnel")
    PATIENTS = "patients", _("Patients")
    SUPPLIES = "supplies", _("Health care supplies")
    WAREHOUSE = "warehouse", _("Warehouse")


class AgeGroup(models.TextChoices):
    """The age groups a report shows instead of ages (``corridor.reports.core.AGE_GROUPS``)."""

    UNDER_18 = "<18", _("under 18")
    FROM_18_TO_40 = "18-40", _("18–40")
    FROM_41_TO_60 = "41-60", _("41–60")
    OVER_60 = ">60", _("over 60")


class DiagnosisGroup(models.TextChoices):
    """ICD-10 chapters, as the reports group diagnoses (``corridor.reports.core``)."""

    NOT_CODED = "not coded", _("not coded")
    I_INFECTIOUS_AND_PARASITIC = "I infectious and parasitic", _("I infectious and parasitic")
    II_NEOPLASMS = "II neoplasms", _("II neoplasms")
    III_BLOOD_AND_IMMUNE = "III blood and immune", _("III blood and immune")
    IV_ENDOCRINE_AND_METABOLIC = "IV endocrine and metabolic", _("IV endocrine and metabolic")
    V_MENTAL_AND_BEHAVIOURAL = "V mental and behavioural", _("V mental and behavioural")
    VI_NERVOUS_SYSTEM = "VI nervous system", _("VI nervous system")
    VII_EYE = "VII eye", _("VII eye")
    VIII_EAR = "VIII ear", _("VIII ear")
    IX_CIRCULATORY = "IX circulatory", _("IX circulatory")
    X_RESPIRATORY = "X respiratory", _("X respiratory")
    XI_DIGESTIVE = "XI digestive", _("XI digestive")
    XII_SKIN = "XII skin", _("XII skin")
    XIII_MUSCULOSKELETAL = "XIII musculoskeletal", _("XIII musculoskeletal")
    XIV_GENITOURINARY = "XIV genitourinary", _("XIV genitourinary")
    XV_PREGNANCY_AND_CHILDBIRTH = "XV pregnancy and childbirth", _("XV pregnancy and childbirth")
    XVI_PERINATAL = "XVI perinatal", _("XVI perinatal")
    XVII_CONGENITAL = "XVII congenital", _("XVII congenital")
    XVIII_SYMPTOMS_AND_SIGNS = "XVIII symptoms and signs", _("XVIII symptoms and signs")
    XIX_INJURY_AND_POISONING = "XIX injury and poisoning", _("XIX injury and poisoning")
    XX_EXTERNAL_CAUSES = "XX external causes", _("XX external causes")
    XXI_HEALTH_SERVICES_CONTACT = "XXI health services contact", _("XXI health services contact")
    XXII_SPECIAL_PURPOSES = "XXII special purposes", _("XXII special purposes")
