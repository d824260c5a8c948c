"""Supplies under blockade: items and their stock, deliveries at the gate, generators, and who depends on what.

Nothing here is written except through :mod:`corridor.supplies.actions` (one module per
family of actions), which records every change in
the ledger in the same transaction. Quantities are kept in their item's unit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corridor.register.models import Named, Patient, Site
from corridor.supplies import autonomy


class Category(models.TextChoices):
    DIESEL = "diesel", _("diesel (generator fuel)")
    FOOD = "food", _("food")
    MEDICINE = "medicine", _("medicine")
    OXYGEN = "oxygen", _("oxygen")
    WATER = "water", _("water")
    SEWAGE_SERVICE = "sewage_service", _("sewage / septic service")
    OTHER = "other", _("other")


class SupplyItem(Named):
    """Something the camp keeps a stock of and runs out of: diesel in litres, insulin in vials…"""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="supply_items")
    code = models.CharField(max_length=32, help_text="e.g. diesel, insulin; unique within the site")
    category = models.CharField(max_length=16, choices=Category.choices)
    unit = models.CharField(max_length=32, help_text="the unit every quantity of this item is kept in")
    critical_threshold = models.FloatField(null=True, blank=True, help_text="alert when the stock falls below this")
    daily_use_set = models.FloatField(
        null=True, blank=True, help_text="an expected daily use set by hand; otherwise measured from counts"
    )
    needs_power = models.BooleanField(default=False, help_text="kept cold or pumped: useless without power")
    synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["site_id", "category", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="supplies_item_site_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.unit})"


class StockRecord(models.Model):
    """A count (the stock at the close of a day) or an adjustment (a loss, spoilage: not consumption)."""

    class Kind(models.TextChoices):
        COUNT = "count", _("count")
        ADJUSTMENT = "adjustment", _("adjustment")

    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="stock_records")
    on = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.FloatField(help_text="in the item's unit; an adjustment may be negative")
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=32)
    certainty = models.CharField(max_length=32)
    synthetic = models.BooleanField(default=False)
    recorded_seq = models.BigIntegerField(help_text="the ledger entry that recorded it")

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["item", "on"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.on} {self.quantity:g}"


class Delivery(models.Model):
    """A delivery asked of the authority, and what the gate did with it.

    ``item`` is set when the delivery is of one tracked item; a delivery named only by its category
    (a convoy of "medicine") leaves it empty and counts against every item of the category.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ALLOWED = "allowed", _("allowed")
        PARTLY_ALLOWED = "partly_allowed", _("partly allowed")
        BLOCKED = "blocked", _("blocked")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="deliveries")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries")
    category = models.CharField(max_length=16, choices=Category.choices)
    requested_on = models.DateField()
    quantity_requested = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=32, blank=True, help_text="the item's unit when an item is named")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decided_on = models.DateField(null=True, blank=True)
    quantity_allowed = models.FloatField(null=True, blank=True, help_text="what came through the gate")
    reason = models.TextField(blank=True, help_text="the reason the authority gave, if any")
    source = models.CharField(max_length=32)
    certainty = models.CharField(max_length=32)
    synthetic = models.BooleanField(default=False)
    requested_seq = models.BigIntegerField(null=True, blank=True)
    decided_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["requested_on", "id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["site", "category", "requested_on"])]

    def __str__(self) -> str:
        return f"D-{self.pk} {self.item_id or self.category} {self.requested_on} {self.status}"


class Generator(models.Model):
    """A generator and the fuel it burns: its hours a day follow from the fuel used."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="generators")
    code = models.CharField(max_length=32)
    fuel = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="generators")
    litres_per_hour = models.FloatField(help_text="fuel burnt per hour at the camp's usual load")
    synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["site_id", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="supplies_generator_site_code")]

    def __str__(self) -> str:
        return self.code


class PowerDay(models.Model):
    """Hours a generator ran on a day, and the hours the camp was without power, each as far as it is known."""

    generator = models.ForeignKey(Generator, on_delete=models.PROTECT, related_name="days")
    on = models.DateField()
    hours_run = models.FloatField(null=True, blank=True, help_text="as recorded; unknown when only fuel was given")
    outage_hours = models.FloatField(null=True, blank=True, help_text="as recorded; unknown when not given")
    fuel_used = models.FloatField(null=True, blank=True, help_text="litres, when metered")
    note = models.TextField(blank=True)
    source = models.CharField(max_length=32)
    certainty = models.CharField(max_length=32)
    recorded_seq = models.BigIntegerField()

    class Meta:
        ordering = ["on", "id"]
        constraints = [models.UniqueConstraint(fields=["generator", "on"], name="supplies_power_day_once")]

    def __str__(self) -> str:
        hours = "?" if self.hours_run is None else f"{self.hours_run:g}"
        return f"{self.generator_id} {self.on} {hours} h"

    @property
    def estimated_hours(self) -> float | None:
        """The hours the fuel used runs the generator at its burn rate, at most 24, when no hours were recorded.

        Shown marked as an estimate: the burn rate is the usual load's, so it is not a figure anybody entered.
        """
        if self.hours_run is not None:
            return None
        return autonomy.generator_hours(self.fuel_used, self.generator.litres_per_hour)[0]


class Dependence(models.Model):
    """A patient whose care depends on a supply: dialysis on power, oxygen, insulin kept cold…"""

    class Need(models.TextChoices):
        DIALYSIS = "dialysis", _("dialysis")
        OXYGEN = "oxygen", _("oxygen")
        REFRIGERATED_MEDICINE = "refrigerated_medicine", _("medicine kept cold (insulin…)")
        MEDICINE = "medicine", _("medicine")
        POWERED_DEVICE = "powered_device", _("a device that needs power")
        OTHER = "other", _("other")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="supply_dependences")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="dependences")
    need = models.CharField(max_length=32, choices=Need.choices)
    daily_quantity = models.FloatField(null=True, blank=True, help_text="in the item's unit, if known")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    recorded_seq = models.BigIntegerField()

    class Meta:
        ordering = ["patient__code", "item__code"]

    def __str__(self) -> str:
        return f"{self.patient_id} on {self.item_id} ({self.need})"
