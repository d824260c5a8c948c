"""The XLSForms Corridor ships for ODK Collect and KoBoCollect, defined once, here, as data.

Each field's name is the name of the argument it feeds in the services (``time_at_gate`` becomes the
arrival at the gate, ``outcome`` a patient's outcome…), so an export can be read back without
guesswork. Labels come in English, Persian and Arabic; every answer carries an HXL hashtag so that
exports can be merged with other humanitarian data. :mod:`corridor.intake.xlsform` writes these
definitions out as the ``.xlsx`` files people upload to KoBoToolbox or ODK Central; the tests build
them with pyxform and check that the shipped files match this module.

No database here: the readers and the tests use it without one. The shared code lists (who cancelled)
take their labels from :mod:`corridor.vocabulary` and its translations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from corridor import vocabulary
from corridor.validate import CODE_PATTERN

# (English, Persian, Arabic)
Labels = tuple[str, str, str]
LANGUAGES = ("English (en)", "Persian (fa)", "Arabic (ar)")


def in_language(labels: Labels, language: str | None) -> str:
    """The label in ``language`` ("fa-ir" reads Persian), English for any other."""
    code = (language or "").split("-")[0].lower()
    return labels[{"fa": 1, "ar": 2}.get(code, 0)]


FORM_VERSION = "1"
# A calculated answer every form carries, so an export names its own form whatever the platform calls it.
FORM_MARKER = "corridor_form"
TRIP_NUMBER_PATTERN = r"^(T-)?[0-9]{1,12}$"
DELIVERY_NUMBER_PATTERN = r"^(D-)?[0-9]{1,12}$"


@dataclass(frozen=True)
class Choice:
    name: str
    label: Labels


@dataclass(frozen=True)
class Field:
    """One row of an XLSForm's survey sheet (a repeat carries its own rows as ``children``)."""

    type: str
    name: str
    label: Labels | None = None
    hint: Labels | None = None
    hxl: str = ""
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: Labels | None = None
    default: str = ""
    calculation: str = ""
    appearance: str = ""
    children: tuple[Field, ...] = ()

    @property
    def is_repeat(self) -> bool:
        return self.type == "repeat"

    @property
    def list_name(self) -> str | None:
        """The choice list of a select_one question."""
        return self.type.split()[1] if self.type.startswith("select_one ") else None

    @property
    def value_type(self) -> str:
        """How an answer is read back: text, integer, decimal, date, datetime, choice or repeat."""
        if self.list_name:
            return "choice"
        return {
            "integer": "integer",
            "decimal": "decimal",
            "date": "date",
            "dateTime": "datetime",
            "start": "datetime",
            "end": "datetime",
            "repeat": "repeat",
        }.get(self.type, "text")


@dataclass(frozen=True)
class Form:
    key: str
    form_id: str
    title: Labels
    fields: tuple[Field, ...]
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)

    def walk(self) -> Iterator[tuple[Field, Field | None]]:
        """Every field with the repeat it sits in (None for the top level), in survey order."""
        for item in self.fields:
            yield item, None
            for child in item.children:
                yield child, item

    def by_name(self) -> dict[str, Field]:
        return {item.name: item for item, _ in self.walk()}

    @property
    def repeats(self) -> dict[str, Field]:
        return {item.name: item for item in self.fields if item.is_repeat}


# ------------------------------------------------------------------------------------------- choices

SOURCES = (
    Choice(
        "witness",
        (
            "I saw it, or someone who saw it told me",
            "خودم دیدم، یا کسی که آن را دید به من گفت",
            "رأيته بنفسي، أو أخبرني به من رآه",
        ),
    ),
    Choice("document", ("A letter, a list or a record", "نامه، فهرست یا سند", "رسالة أو قائمة أو سجل")),
    Choice("media", ("A photo, a video or a recording", "عکس، فیلم یا صدای ضبط‌شده", "صورة أو فيديو أو تسجيل")),
    Choice(
        "official_statement",
        ("The authority said or wrote it", "مقامات آن را گفتند یا نوشتند", "قالته السلطات أو كتبته"),
    ),
    Choice("publication", ("A published report or article", "گزارش یا مقالهٔ منتشرشده", "تقرير أو مقال منشور")),
)
CERTAINTIES = (
    Choice(
        "confirmed",
        (
            "Confirmed: I saw it, or more than one independent source says so",
            "قطعی: خودم دیدم، یا بیش از یک منبع مستقل آن را می‌گوید",
            "مؤكَّد: رأيته بنفسي، أو يؤكده أكثر من مصدر مستقل",
        ),
    ),
    Choice(
        "probable",
        (
            "Probable: one credible source",
            "محتمل: یک منبع معتبر",
            "مرجَّح: مصدر واحد موثوق",
        ),
    ),
    Choice(
        "possible",
        (
            "Possible: reported, not yet corroborated",
            "ممکن: گزارش شده، هنوز تأیید نشده",
            "ممكن: أُبلغ عنه ولم يُؤكَّد بعد",
        ),
    ),
    Choice(
        "unverified",
        (
            "Unverified: not yet assessed",
            "بررسی‌نشده: هنوز ارزیابی نشده",
            "غير متحقَّق منه: لم يُقيَّم بعد",
        ),
    ),
)
GATE_OUTCOMES = (
    Choice("released", ("Let through", "اجازهٔ عبور داده شد", "سُمح لها بالعبور")),
    Choice("held", ("Still held at the gate", "هنوز در گذرگاه نگه داشته شده", "لا تزال محتجزة عند البوابة")),
    Choice("turned_back", ("Sent back", "برگردانده شد", "أُعيدت")),
    Choice(
        "cancelled",
        ("Cancelled before it left", "پیش از حرکت لغو شد", "أُلغيت قبل انطلاقها"),
    ),
)
# Who cancelled is the code list every screen shows: its words come from its translations.
CANCELLERS = tuple(Choice(code, vocabulary.labels("cancelled_by", code)) for code in vocabulary.codes("cancelled_by"))
CARE_OUTCOMES = (
    Choice("seen", ("Seen for diagnosis or review", "برای تشخیص یا بررسی ویزیت شد", "تمت معاينته للتشخيص أو المراجعة")),
    Choice("procedure_done", ("Seen, procedure done", "ویزیت شد و اقدام درمانی انجام شد", "تمت معاينته وأُجري الإجراء")),
    Choice("admitted", ("Seen and admitted", "ویزیت و بستری شد", "تمت معاينته وأُدخل المستشفى")),
    Choice("treatment_started", ("Seen, treatment started", "ویزیت شد و درمان آغاز شد", "تمت معاينته وبدأ العلاج")),
    Choice("follow_up", ("Seen, follow-up needed", "ویزیت شد، نیاز به ویزیت پیگیری", "تمت معاينته، تلزم زيارة متابعة")),
    Choice("care_complete", ("Seen, care complete", "ویزیت شد، درمان به پایان رسید", "تمت معاينته، اكتملت الرعاية")),
    Choice("no_doctor", ("Not seen: no doctor", "ویزیت نشد: پزشک نبود", "لم يُعاين: لا يوجد طبيب")),
    Choice("refused", ("Not seen: refused", "ویزیت نشد: پذیرفته نشد", "لم يُعاين: رُفض")),
    Choice("turned_back", ("Not seen: turned back", "ویزیت نشد: برگردانده شد", "لم يُعاين: أُعيد")),
    Choice("not_seen_other", ("Not seen: other reason", "ویزیت نشد: دلیل دیگر", "لم يُعاين: سبب آخر")),
)
# Outcomes after which the hospital may ask to see the patient again (corridor.register.episodes).
FOLLOW_UP_AFTER = ("seen", "procedure_done", "admitted", "treatment_started", "follow_up")
DELIVERY_STATUSES = (
    Choice("allowed", ("Let through in full", "به‌طور کامل اجازهٔ ورود داده شد", "سُمح بدخولها كاملة")),
    Choice("partly_allowed", ("Partly let through", "بخشی از آن اجازهٔ ورود یافت", "سُمح بدخول جزء منها")),
    Choice("blocked", ("Blocked", "متوقف شد", "مُنعت")),
)
CATEGORIES = (
    Choice("diesel", ("Diesel (generator fuel)", "گازوئیل (سوخت ژنراتور)", "ديزل (وقود المولّدات)")),
    Choice("food", ("Food", "غذا", "غذاء")),
    Choice("medicine", ("Medicine", "دارو", "دواء")),
    Choice("oxygen", ("Oxygen", "اکسیژن", "أكسجين")),
    Choice("water", ("Water", "آب", "ماء")),
    Choice("sewage_service", ("Sewage or septic service", "خدمات فاضلاب", "خدمة الصرف الصحي")),
    Choice("other", ("Something else", "چیز دیگر", "شيء آخر")),
)
YES_NO = (
    Choice("yes", ("Yes", "بله", "نعم")),
    Choice("no", ("No", "خیر", "لا")),
)

# ------------------------------------------------------------------------------------ shared fields

NO_NAMES: Labels = (
    "Never write a person's name here.",
    "هرگز نام کسی را اینجا ننویسید.",
    "لا تكتب اسم أي شخص هنا أبداً.",
)


def _marker(key: str) -> Field:
    return Field("calculate", FORM_MARKER, hxl="#meta +form", calculation=f"'{key}'")


START_END = (
    Field("start", "start", hxl="#date +start +form"),
    Field("end", "end", hxl="#date +end +form"),
)

SITE_CODE = Field(
    "text",
    "site",
    ("Camp code", "کد اردوگاه", "رمز المخيم"),
    hxl="#loc +camp +code",
    required=True,
    constraint=f"regex(., '{CODE_PATTERN}')",
)

NO_TRIP_NUMBER = "${trip_number} = ''"
TRIP_FIELDS = (
    Field(
        "text",
        "trip_number",
        ("Trip number, if you know it", "شمارهٔ سفر، اگر می‌دانید", "رقم الرحلة، إن كنت تعرفه"),
        hint=(
            "As on the trip list, e.g. T-17. Leave it empty to name the trip by camp, date and hospital.",
            "همان‌طور که در فهرست سفرهاست، مثلاً T-17. اگر نمی‌دانید خالی بگذارید "
            "و سفر را با اردوگاه، تاریخ و بیمارستان مشخص کنید.",
            "كما في قائمة الرحلات، مثل T-17. اتركه فارغاً لتحديد الرحلة بالمخيم والتاريخ والمستشفى.",
        ),
        hxl="#activity +trip +code",
        constraint=f"regex(., '{TRIP_NUMBER_PATTERN}')",
        constraint_message=("Write it like T-17", "به شکل T-17 بنویسید", "اكتبه على شكل T-17"),
    ),
    replace(SITE_CODE, relevant=NO_TRIP_NUMBER),
    Field(
        "date",
        "trip_date",
        ("Date of the trip", "تاریخ سفر", "تاريخ الرحلة"),
        hxl="#date +trip",
        required=True,
        relevant=NO_TRIP_NUMBER,
    ),
    Field(
        "text",
        "facility",
        ("Hospital code", "کد بیمارستان", "رمز المستشفى"),
        hint=(
            "As on the trip list, e.g. H-03",
            "همان‌طور که در فهرست سفرهاست، مثلاً H-03",
            "كما في قائمة الرحلات، مثل H-03",
        ),
        hxl="#loc +hospital +code",
        required=True,
        relevant=NO_TRIP_NUMBER,
        constraint=f"regex(., '{CODE_PATTERN}')",
    ),
)

EVIDENCE_FIELDS = (
    Field(
        "select_one source",
        "source",
        ("How do you know?", "از کجا می‌دانید؟", "كيف عرفت ذلك؟"),
        hxl="#meta +source",
        required=True,
        default="witness",
    ),
    Field(
        "select_one certainty",
        "certainty",
        ("How sure is it?", "چقدر قطعی است؟", "ما مدى التأكد من ذلك؟"),
        hxl="#meta +certainty",
        required=True,
    ),
)

NOTE = Field(
    "text",
    "note",
    ("Anything else", "چیز دیگری هست؟", "أي شيء آخر"),
    hint=NO_NAMES,
    hxl="#description",
    appearance="multiline",
)

# What the authority said when it refused a trip or a delivery: asked the same way on both forms.
REASON_GIVEN = Field(
    "text",
    "reason_given",
    (
        "The reason the authority gave, if any",
        "دلیلی که مقامات گفتند، اگر گفتند",
        "السبب الذي قدّمته السلطات، إن قدّمت سبباً",
    ),
    hint=NO_NAMES,
    hxl="#cause +given",
)

PATIENT_CODE = Field(
    "text",
    "patient_code",
    ("Patient code", "کد بیمار", "رمز المريض"),
    hint=(
        "The pseudonymous code, e.g. P-0042. Never a name.",
        "کد مستعار، مثلاً P-0042. هرگز نام ننویسید.",
        "الرمز المستعار، مثل P-0042. لا تكتب اسماً أبداً.",
    ),
    hxl="#beneficiary +code",
    required=True,
    constraint=f"regex(., '{CODE_PATTERN}')",
    constraint_message=("Write the code, e.g. P-0042", "کد را بنویسید، مثلاً P-0042", "اكتب الرمز، مثل P-0042"),
)

EVIDENCE_CHOICES = {"source": SOURCES, "certainty": CERTAINTIES}

# ------------------------------------------------------------------------------------------- forms

GATE_INCIDENT = Form(
    key="gate_incident",
    form_id="corridor_gate_incident",
    title=("Corridor: at the gate", "کوریدور: در گذرگاه", "كوريدور: عند البوابة"),
    fields=(
        _marker("gate_incident"),
        *START_END,
        *TRIP_FIELDS,
        Field(
            "select_one gate_outcome",
            "outcome",
            ("What happened at the gate?", "در گذرگاه چه شد؟", "ماذا حدث عند البوابة؟"),
            hxl="#status +gate",
            required=True,
        ),
        Field(
            "dateTime",
            "time_at_gate",
            (
                "When did the trip reach the gate (or the cancellation come)?",
                "سفر چه زمانی به گذرگاه رسید (یا لغو اعلام شد)؟",
                "متى وصلت الرحلة إلى البوابة (أو أُعلن الإلغاء)؟",
            ),
            hxl="#date +start +gate",
            required=True,
        ),
        Field(
            "dateTime",
            "time_released",
            (
                "When was it let through or sent back?",
                "چه زمانی اجازهٔ عبور یافت یا برگردانده شد؟",
                "متى سُمح لها بالعبور أو أُعيدت؟",
            ),
            hxl="#date +end +gate",
            required=True,
            relevant="${outcome} = 'released' or ${outcome} = 'turned_back'",
            constraint=". >= ${time_at_gate}",
            constraint_message=(
                "Cannot be before the trip reached the gate",
                "نمی‌تواند پیش از رسیدن به گذرگاه باشد",
                "لا يمكن أن يكون قبل الوصول إلى البوابة",
            ),
        ),
        Field(
            "select_one canceller",
            "cancelled_by",
            ("Who cancelled it?", "چه کسی آن را لغو کرد؟", "من ألغاها؟"),
            hxl="#org +cancelled",
            required=True,
            relevant="${outcome} = 'cancelled'",
            default="authority",
        ),
        REASON_GIVEN,
        Field(
            "integer",
            "witnesses",
            (
                "How many people saw it? (a number)",
                "چند نفر آن را دیدند؟ (فقط عدد)",
                "كم شخصاً شاهد ذلك؟ (رقم فقط)",
            ),
            hint=NO_NAMES,
            hxl="#indicator +witnesses +num",
            constraint=". >= 0 and . <= 10000",
        ),
        *EVIDENCE_FIELDS,
        NOTE,
    ),
    choices={"gate_outcome": GATE_OUTCOMES, "canceller": CANCELLERS, **EVIDENCE_CHOICES},
)

TRIP_OUTCOME = Form(
    key="trip_outcome",
    form_id="corridor_trip_outcome",
    title=("Corridor: at the hospital", "کوریدور: در بیمارستان", "كوريدور: في المستشفى"),
    fields=(
        _marker("trip_outcome"),
        *START_END,
        *TRIP_FIELDS,
        Field(
            "dateTime",
            "hospital_arrival",
            (
                "When did the trip reach the hospital, if you know?",
                "سفر چه زمانی به بیمارستان رسید، اگر می‌دانید؟",
                "متى وصلت الرحلة إلى المستشفى، إن كنت تعرف؟",
            ),
            hxl="#date +arrived +hospital",
        ),
        Field(
            "repeat",
            "patients",
            ("Patients on the trip", "بیماران این سفر", "مرضى الرحلة"),
            children=(
                PATIENT_CODE,
                Field(
                    "select_one care_outcome",
                    "outcome",
                    ("What happened at the hospital?", "در بیمارستان چه شد؟", "ماذا حدث في المستشفى؟"),
                    hxl="#status +care",
                    required=True,
                ),
                Field(
                    "date",
                    "follow_up_due",
                    (
                        "By when must the patient be seen again?",
                        "بیمار تا چه تاریخی باید دوباره ویزیت شود؟",
                        "متى يجب أن يُعاين المريض مرة أخرى؟",
                    ),
                    hint=(
                        "Only if the hospital asked for a follow-up visit",
                        "فقط اگر بیمارستان ویزیت پیگیری خواسته است",
                        "فقط إذا طلب المستشفى زيارة متابعة",
                    ),
                    hxl="#date +due +followup",
                    required=False,
                    relevant=" or ".join(f"${{outcome}} = '{o}'" for o in FOLLOW_UP_AFTER),
                ),
                Field(
                    "text",
                    "outcome_note",
                    ("Note", "یادداشت", "ملاحظة"),
                    hint=NO_NAMES,
                    hxl="#description +care",
                ),
            ),
        ),
        Field(
            "dateTime",
            "time_returned",
            (
                "When did the trip come back to the camp, if it has?",
                "سفر چه زمانی به اردوگاه برگشت، اگر برگشته است؟",
                "متى عادت الرحلة إلى المخيم، إن كانت قد عادت؟",
            ),
            hxl="#date +returned",
        ),
        *EVIDENCE_FIELDS,
        NOTE,
    ),
    choices={"care_outcome": CARE_OUTCOMES, **EVIDENCE_CHOICES},
)

SUPPLY_DELIVERY = Form(
    key="supply_delivery",
    form_id="corridor_supply_delivery",
    title=("Corridor: deliveries at the gate", "کوریدور: محموله‌ها در گذرگاه", "كوريدور: الشحنات عند البوابة"),
    fields=(
        _marker("supply_delivery"),
        *START_END,
        SITE_CODE,
        Field(
            "date",
            "delivery_date",
            ("Date at the gate", "تاریخ در گذرگاه", "التاريخ عند البوابة"),
            hxl="#date +delivery",
            required=True,
            constraint=". <= today()",
        ),
        Field(
            "repeat",
            "items",
            ("What the delivery carried", "آنچه محموله داشت", "ما حملته الشحنة"),
            children=(
                Field(
                    "select_one category",
                    "category",
                    ("Kind of supply", "نوع اقلام", "نوع الإمدادات"),
                    hxl="#item +type",
                    required=True,
                ),
                Field(
                    "text",
                    "item_code",
                    (
                        "The camp's item code, if it is on the stock list",
                        "کد قلم در فهرست موجودی اردوگاه، اگر هست",
                        "رمز الصنف في قائمة مخزون المخيم، إن وُجد",
                    ),
                    hint=("e.g. insulin", "مثلاً insulin", "مثل insulin"),
                    hxl="#item +code",
                    constraint=f"regex(., '{CODE_PATTERN}')",
                ),
                Field(
                    "text",
                    "delivery_number",
                    (
                        "Delivery number, if it was requested",
                        "شمارهٔ محموله، اگر درخواست شده بود",
                        "رقم الشحنة، إن كانت مطلوبة مسبقاً",
                    ),
                    hint=(
                        "As on the delivery list, e.g. D-12",
                        "همان‌طور که در فهرست محموله‌هاست، مثلاً D-12",
                        "كما في قائمة الشحنات، مثل D-12",
                    ),
                    hxl="#activity +delivery +code",
                    constraint=f"regex(., '{DELIVERY_NUMBER_PATTERN}')",
                ),
                Field(
                    "select_one delivery_status",
                    "status",
                    ("What did the gate do?", "گذرگاه با آن چه کرد؟", "ماذا فعلت البوابة بها؟"),
                    hxl="#status +delivery",
                    required=True,
                ),
                Field(
                    "decimal",
                    "quantity",
                    ("Quantity brought", "مقدار آورده‌شده", "الكمية التي جيء بها"),
                    hxl="#value +brought",
                    constraint=". >= 0",
                ),
                Field(
                    "decimal",
                    "quantity_allowed",
                    ("Quantity let through", "مقدار اجازه‌داده‌شده", "الكمية التي سُمح بدخولها"),
                    hxl="#value +allowed",
                    required=True,
                    relevant="${status} = 'partly_allowed'",
                    constraint=". >= 0",
                ),
                Field(
                    "text",
                    "unit",
                    ("Unit", "واحد", "الوحدة"),
                    hint=(
                        "litres, kilograms, rations, vials…",
                        "لیتر، کیلوگرم، جیره، ویال…",
                        "لترات، كيلوغرامات، حصص، قوارير…",
                    ),
                    hxl="#indicator +unit",
                    required=True,
                    relevant="${quantity} != ''",
                ),
            ),
        ),
        REASON_GIVEN,
        *EVIDENCE_FIELDS,
        NOTE,
    ),
    choices={"category": CATEGORIES, "delivery_status": DELIVERY_STATUSES, **EVIDENCE_CHOICES},
)

DEATH = Form(
    key="death",
    form_id="corridor_death_while_waiting",
    title=("Corridor: death while waiting", "کوریدور: فوت در انتظار درمان", "كوريدور: وفاة أثناء الانتظار"),
    fields=(
        _marker("death"),
        *START_END,
        PATIENT_CODE,
        Field(
            "date",
            "date_of_death",
            ("Date of death", "تاریخ فوت", "تاريخ الوفاة"),
            hxl="#date +death",
            required=True,
            constraint=". <= today()",
        ),
        Field(
            "select_one yes_no",
            "after_denied_care",
            (
                "Did the death follow care or a trip being refused, cancelled or held?",
                "آیا فوت پس از رد، لغو یا معطل شدن درمان یا سفر رخ داد؟",
                "هل حدثت الوفاة بعد رفض الرعاية أو الرحلة أو إلغائها أو احتجازها؟",
            ),
            hxl="#indicator +denied_care",
            required=True,
        ),
        Field(
            "text",
            "circumstances",
            ("Circumstances", "شرایط", "الظروف"),
            hint=NO_NAMES,
            hxl="#description +circumstances",
            appearance="multiline",
        ),
        *EVIDENCE_FIELDS,
    ),
    choices={"yes_no": YES_NO, **EVIDENCE_CHOICES},
)

FORMS: dict[str, Form] = {form.key: form for form in (GATE_INCIDENT, TRIP_OUTCOME, SUPPLY_DELIVERY, DEATH)}
