"""Erasing a person shreds every raw field submission about them, whoever's key sealed it (issue #18).

A submission is sealed under the data key of one person: the first patient among the subjects of the
entries it became (a trip's outcome form names every passenger), or the first known patient a refused
one names. Destroying that key (:mod:`corridor.register.erasure`) makes it unreadable; erasing another
person it names would not. So, in the erasure's transaction, every submission that names the erased
person loses its sealed answers, and is marked as theirs: it reads as erased, as one sealed under their
key does. The raw answers are a convenience copy: the entries the submission became keep their own
texts, and an imported one keeps its answers' HMACs, so a copy sent again is still told a duplicate.
Nothing is written to the ledger: the erasure's own entry says that an erasure happened, never what.
"""

from __future__ import annotations

from corridor.intake import sealing
from corridor.intake.models import ImportedSubmission, Refusal
from corridor.ledger.models import Subject


def shred_person(kind: str, person_id: int, code: str) -> None:
    """Empty the sealed answers of every imported submission whose entries are about ``kind:code``, or that
    is sealed under their key, and the sealed data of every refusal sealed under it or naming them."""
    owner = f"{kind}:{person_id}"
    theirs = set(Subject.objects.filter(key=f"{kind}:{code}").values_list("entry_id", flat=True))
    imported = [
        pk
        for pk, seqs, sealed_for in ImportedSubmission.objects.exclude(answers="").values_list("pk", "seqs", "owner")
        if sealed_for == owner or theirs.intersection(seqs)
    ]
    ImportedSubmission.objects.filter(pk__in=imported).update(answers="", owner=owner)
    refused = []
    for refusal in Refusal.objects.exclude(data=""):
        if refusal.owner == owner:
            refused.append(refusal.pk)
            continue
        data = refusal.received()
        if data is not sealing.ERASED and kind == "patient" and code in sealing.patient_codes(data):
            refused.append(refusal.pk)
    Refusal.objects.filter(pk__in=refused).update(data="", owner=owner)
