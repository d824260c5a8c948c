"""The report's words in English, Persian and Arabic, and numbers and dates written for each language.

Kept here rather than in gettext catalogues so that a report is complete in any language whatever the
interface's locale files hold; an indicator's own title and definition live in its catalogue entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from corridor import vocabulary

LANGUAGES = ("en", "fa", "ar")
RTL = frozenset({"fa", "ar"})

_DIGITS = {"fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}
_DECIMAL = {"fa": "٫", "ar": "٫"}
_GROUP = {"fa": "٬", "ar": "٬"}
_PERCENT = {"fa": "٪", "ar": "٪"}
# Between the items of a list ("Demo Camp, Demo Crossing"): Persian and Arabic write the reversed comma.
_LIST_SEPARATOR = {"fa": "، ", "ar": "، "}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fa": [
        "ژانویه",
        "فوریه",
        "مارس",
        "آوریل",
        "مه",
        "ژوئن",
        "ژوئیه",
        "اوت",
        "سپتامبر",
        "اکتبر",
        "نوامبر",
        "دسامبر",
    ],
    "ar": [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
}
JALALI_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]

MESSAGES: dict[str, dict[str, str]] = {
    "report.title": {
        "en": "Access to hospital care: monthly report",
        "fa": "دسترسی به درمان بیمارستانی: گزارش ماهانه",
        "ar": "الوصول إلى الرعاية في المستشفيات: التقرير الشهري",
    },
    "report.period": {"en": "Period", "fa": "دوره", "ar": "الفترة"},
    "report.to": {"en": "counted to {date}", "fa": "شمرده‌شده تا {date}", "ar": "محسوبة حتى {date}"},
    "report.site": {"en": "Site", "fa": "محل", "ar": "الموقع"},
    "report.generated": {"en": "Generated", "fa": "تاریخ تهیه", "ar": "تاريخ الإعداد"},
    "report.ledger_head": {
        "en": "Ledger head at generation",
        "fa": "آخرین ثبت دفتر هنگام تهیه",
        "ar": "آخر قيد في السجل عند الإعداد",
    },
    "report.entry": {"en": "entry {seq}", "fa": "ثبت شمارهٔ {seq}", "ar": "القيد رقم {seq}"},
    "report.evidence": {"en": "Evidence", "fa": "شواهد", "ar": "الأدلة"},
    "report.evidence_checkpoint": {
        "en": "The entries cited in this report (their numbers are given beside each incident) are included in "
        "the signed checkpoint below. Their inclusion proofs are attached to this file as evidence.json; "
        "anyone can check them with the standalone verifier and the published key.",
        "fa": "ثبت‌هایی که این گزارش به آن‌ها استناد می‌کند (شمارهٔ هر یک کنار هر رویداد آمده است) در نقطهٔ "
        "بازبینی امضاشدهٔ زیر گنجانده شده‌اند. اثبات‌های گنجاندن آن‌ها با نام evidence.json به این پرونده پیوست "
        "شده است و هر کس می‌تواند آن‌ها را با برنامهٔ بازبینی مستقل و کلید منتشرشده بررسی کند.",
        "ar": "القيود التي يستشهد بها هذا التقرير (رقم كل منها بجانب كل حادث) مشمولة في نقطة التحقق الموقعة "
        "أدناه. أدلة شمولها مرفقة بهذا الملف باسم evidence.json، ويمكن لأي شخص التحقق منها بأداة التحقق "
        "المستقلة والمفتاح المنشور.",
    },
    "report.evidence_none": {
        "en": "No signed checkpoint covers the entries cited here yet: run corridor checkpoint and generate the "
        "report again to attach their proofs.",
        "fa": "هنوز هیچ نقطهٔ بازبینی امضاشده‌ای ثبت‌های مورد استناد این گزارش را در بر نمی‌گیرد: فرمان "
        "corridor checkpoint را اجرا کنید و گزارش را دوباره بسازید تا اثبات‌ها پیوست شوند.",
        "ar": "لا تشمل أي نقطة تحقق موقعة القيود المستشهد بها هنا بعد: نفّذ الأمر corridor checkpoint ثم أنشئ "
        "التقرير من جديد لإرفاق أدلتها.",
    },
    "report.verify": {
        "en": "Anyone holding a copy of the ledger can check this hash with the command corridor verify.",
        "fa": "هر کس نسخه‌ای از دفتر ثبت داشته باشد می‌تواند این درهم‌نگاری (هش) را با فرمان corridor verify بررسی کند.",
        "ar": "يمكن لأي شخص يحمل نسخة من السجل التحقق من هذه البصمة بالأمر corridor verify.",
    },
    "report.pseudonymised": {
        "en": "No name, contact or personal note appears in this report. Ages are shown only as age groups.",
        "fa": "هیچ نام، نشانی تماس یا یادداشت شخصی در این گزارش نیامده است. سن‌ها فقط به صورت گروه سنی آمده‌اند.",
        "ar": "لا يرد في هذا التقرير أي اسم أو وسيلة اتصال أو ملاحظة شخصية. تظهر الأعمار في فئات عمرية فقط.",
    },
    "report.public": {
        "en": "Public edition: counts from 1 to 4, and anything that would reveal them, are left blank (—).",
        "fa": "نسخهٔ عمومی: شمارهای ۱ تا ۴، و هر رقمی که آن‌ها را آشکار کند، خالی (—) مانده‌اند.",
        "ar": "النسخة العامة: الأعداد من ١ إلى ٤، وكل ما قد يكشفها، تُركت فارغة (—).",
    },
    "report.summary": {"en": "Summary", "fa": "خلاصه", "ar": "الملخص"},
    "report.key_figures": {"en": "Key figures", "fa": "ارقام اصلی", "ar": "الأرقام الرئيسية"},
    "report.charts": {"en": "Charts", "fa": "نمودارها", "ar": "الرسوم البيانية"},
    "report.indicators": {"en": "Indicators", "fa": "شاخص‌ها", "ar": "المؤشرات"},
    "report.indicator": {"en": "Indicator", "fa": "شاخص", "ar": "المؤشر"},
    "report.value": {"en": "Value", "fa": "مقدار", "ar": "القيمة"},
    "report.unit": {"en": "Unit", "fa": "واحد", "ar": "الوحدة"},
    "report.definition": {"en": "Definition", "fa": "تعریف", "ar": "التعريف"},
    "report.breakdown": {"en": "By {what}", "fa": "بر حسب {what}", "ar": "حسب {what}"},
    "report.incidents": {"en": "Notable incidents", "fa": "رویدادهای مهم", "ar": "حوادث بارزة"},
    "report.deaths_list": {
        "en": "Each death while waiting",
        "fa": "یکایک مرگ‌ها در انتظار درمان",
        "ar": "كل وفاة أثناء الانتظار",
    },
    "report.none": {
        "en": "None recorded in this period.",
        "fa": "در این دوره موردی ثبت نشده است.",
        "ar": "لم يُسجَّل شيء في هذه الفترة.",
    },
    "report.methods": {"en": "Methods", "fa": "روش کار", "ar": "المنهجية"},
    "report.page": {"en": "Page", "fa": "صفحهٔ", "ar": "الصفحة"},
    "report.of": {"en": "of", "fa": "از", "ar": "من"},
    "report.not_reached": {"en": "not reached", "fa": "هنوز نرسیده", "ar": "لم يُبلَغ بعد"},
    "summary.requests": {
        "en": "{requests} patients' trip requests fell due in the period: {approved} approved, {denied} denied and "
        "{delayed} without an answer by the trip date.",
        "fa": "در این دوره موعد {requests} درخواست سفر بیمار فرا رسید: {approved} تأیید شد، {denied} رد شد و "
        "{delayed} تا روز سفر بی‌پاسخ ماند.",
        "ar": "حلّ في هذه الفترة موعد {requests} من طلبات رحلات المرضى: {approved} وُوفق عليها، و{denied} رُفضت، "
        "و{delayed} بقيت دون رد حتى تاريخ الرحلة.",
    },
    "summary.backlog": {
        "en": "{waiting} referrals were waiting at the end of the period, {past} of them past their clinical "
        "deadline; the longest had waited {longest} days.",
        "fa": "در پایان دوره {waiting} ارجاع در انتظار بود که مهلت بالینی {past} مورد از آن‌ها گذشته بود؛ "
        "طولانی‌ترین انتظار {longest} روز بود.",
        "ar": "كانت {waiting} إحالة تنتظر في نهاية الفترة، منها {past} تجاوزت مهلتها السريرية؛ وقد انتظرت "
        "أقدمها {longest} يومًا.",
    },
    "summary.trips": {
        "en": "Of {trips} trips, {cancelled} were cancelled; trips were held at the gate {mean} hours on average "
        "and {max} hours at most.",
        "fa": "از {trips} سفر، {cancelled} سفر لغو شد؛ سفرها به طور میانگین {mean} ساعت و حداکثر {max} ساعت "
        "در گذرگاه متوقف ماندند.",
        "ar": "من أصل {trips} رحلة أُلغيت {cancelled}؛ واحتُجزت الرحلات عند البوابة {mean} ساعة في المتوسط "
        "و{max} ساعة في أقصى حد.",
    },
    "summary.deaths": {
        "en": "Died while waiting for care: {deaths}.",
        "fa": "درگذشتگان در انتظار درمان: {deaths}.",
        "ar": "المتوفون أثناء انتظار العلاج: {deaths}.",
    },
    "chart.requests": {
        "en": "Requests by outcome, month by month (the last bar is this period).",
        "fa": "درخواست‌ها بر حسب سرانجام، ماه به ماه (ستون آخر همین دوره است).",
        "ar": "الطلبات حسب المآل، شهرًا بشهر (العمود الأخير هو هذه الفترة).",
    },
    "chart.km": {
        "en": "Referrals of the last twelve months by days since referral (horizontal): the share seen, the share "
        "who died waiting and the share who left (vertical, %), with death and leaving as competing events "
        "(Aalen–Johansen). The dashed line is the naive Kaplan–Meier share seen, which counts those who died or "
        "left as if they might still be seen; where it lies above the solid line, the gap is care that people "
        "who died or left never received.",
        "fa": "ارجاع‌های دوازده ماه گذشته بر حسب روزهای پس از ارجاع (محور افقی): سهم ویزیت‌شدگان، سهم درگذشتگان "
        "در انتظار و سهم رفتگان (محور عمودی، درصد)، با مرگ و رفتن به عنوان رویدادهای رقیب (آلن–یوهانسن). خط "
        "نقطه‌چین سهم ویزیت‌شدگان به برآورد سادهٔ کاپلان–مایر است که درگذشتگان و رفتگان را چنان می‌شمارد که "
        "گویی هنوز ممکن است ویزیت شوند؛ هر جا بالاتر از خط پیوسته باشد، فاصله درمانی است که درگذشتگان و "
        "رفتگان هرگز نگرفتند.",
        "ar": "إحالات الأشهر الاثني عشر الأخيرة حسب الأيام منذ الإحالة (المحور الأفقي): نسبة من عوينوا ونسبة من "
        "توفّوا منتظرين ونسبة من غادروا (المحور العمودي، %)، مع الوفاة والمغادرة حدثين متنافسين (آلن–يوهانسن). "
        "والخط المتقطع هو نسبة المعاينين بتقدير كابلان–ماير البسيط، الذي يعدّ من توفّوا أو غادروا كأنهم قد "
        "يُعاينون بعد؛ وحيث يعلو الخطَّ المتصل، فالفرق رعايةٌ لم ينلها من توفّوا أو غادروا قط.",
    },
    "chart.seen": {"en": "seen", "fa": "ویزیت‌شده", "ar": "عوينوا"},
    "chart.death": {"en": "died waiting", "fa": "درگذشته در انتظار", "ar": "توفّوا منتظرين"},
    "chart.departure": {"en": "left", "fa": "رفته", "ar": "غادروا"},
    "chart.naive": {
        "en": "seen, Kaplan–Meier (naive)",
        "fa": "ویزیت‌شده، کاپلان–مایر (ساده)",
        "ar": "عوينوا، كابلان–ماير (بسيط)",
    },
    "chart.backlog": {
        "en": "Referrals waiting at the end of the period by priority class: within the deadline and past it.",
        "fa": "ارجاع‌های در انتظار در پایان دوره بر حسب ردهٔ اولویت: در مهلت و گذشته از مهلت.",
        "ar": "الإحالات المنتظرة في نهاية الفترة حسب فئة الأولوية: ضمن المهلة وبعد تجاوزها.",
    },
    "chart.holds": {
        "en": "Hours each trip was held at the gate (vertical) by day of the month (horizontal).",
        "fa": "ساعت‌های توقف هر سفر در گذرگاه (محور عمودی) بر حسب روز ماه (محور افقی).",
        "ar": "ساعات احتجاز كل رحلة عند البوابة (المحور العمودي) حسب يوم الشهر (المحور الأفقي).",
    },
    "chart.all": {"en": "all", "fa": "همه", "ar": "الكل"},
    "chart.within": {"en": "within the deadline", "fa": "در مهلت", "ar": "ضمن المهلة"},
    "chart.past": {"en": "past the deadline", "fa": "گذشته از مهلت", "ar": "بعد المهلة"},
    "col.date": {"en": "Date", "fa": "تاریخ", "ar": "التاريخ"},
    "col.days_waited": {"en": "Days waited", "fa": "روزهای انتظار", "ar": "أيام الانتظار"},
    "col.diagnosis_group": {"en": "Diagnosis group", "fa": "گروه تشخیصی", "ar": "المجموعة التشخيصية"},
    "col.specialty": {"en": "Specialty", "fa": "تخصص", "ar": "التخصص"},
    "col.priority": {"en": "Priority class", "fa": "ردهٔ اولویت", "ar": "فئة الأولوية"},
    "col.source": {"en": "Source", "fa": "منبع", "ar": "المصدر"},
    "col.certainty": {"en": "Certainty", "fa": "درجهٔ اطمینان", "ar": "درجة اليقين"},
    "col.attack_type": {"en": "Type (SSA)", "fa": "نوع (SSA)", "ar": "النوع (SSA)"},
    "col.resource": {"en": "Resource affected", "fa": "منبع آسیب‌دیده", "ar": "المورد المتضرر"},
    "col.item": {"en": "Supply", "fa": "محموله", "ar": "الإمداد"},
    "col.description": {"en": "What happened", "fa": "شرح رویداد", "ar": "ما حدث"},
    "col.category": {"en": "Category", "fa": "دسته", "ar": "الفئة"},
    "col.requests": {"en": "Requests", "fa": "درخواست‌ها", "ar": "الطلبات"},
    "col.approved": {"en": "Approved", "fa": "تأییدشده", "ar": "الموافق عليها"},
    "col.denied": {"en": "Denied", "fa": "ردشده", "ar": "المرفوضة"},
    "col.delayed": {"en": "Delayed", "fa": "بی‌پاسخ", "ar": "المتأخرة"},
    "col.approval_rate": {"en": "Approved %", "fa": "٪ تأیید", "ar": "% الموافقة"},
    "col.denial_rate": {"en": "Denied %", "fa": "٪ رد", "ar": "% الرفض"},
    "col.delay_rate": {"en": "Delayed %", "fa": "٪ بی‌پاسخ", "ar": "% التأخير"},
    "col.unsuccessful_rate": {"en": "Unsuccessful %", "fa": "٪ ناموفق", "ar": "% غير الناجحة"},
    "col.seen": {"en": "Seen", "fa": "ویزیت‌شده", "ar": "عوينت"},
    "col.median_days": {"en": "Median days", "fa": "میانهٔ روزها", "ar": "وسيط الأيام"},
    "col.p90_days": {"en": "90th percentile, days", "fa": "صدک نودم، روز", "ar": "المئين التسعون، أيام"},
    "col.within_deadline": {"en": "Within deadline", "fa": "در مهلت", "ar": "ضمن المهلة"},
    "col.within_deadline_rate": {"en": "Within deadline %", "fa": "٪ در مهلت", "ar": "% ضمن المهلة"},
    "col.day": {"en": "Days since referral", "fa": "روز پس از ارجاع", "ar": "الأيام منذ الإحالة"},
    "col.cohort": {"en": "Referrals followed", "fa": "ارجاع‌های پیگیری‌شده", "ar": "الإحالات المتابَعة"},
    "col.share_seen": {"en": "Seen by then %", "fa": "٪ ویزیت‌شده تا آن روز", "ar": "% عوينت حتى حينه"},
    "col.waiting": {"en": "Waiting", "fa": "در انتظار", "ar": "قيد الانتظار"},
    "col.past_deadline": {"en": "Past deadline", "fa": "گذشته از مهلت", "ar": "بعد المهلة"},
    "col.past_deadline_rate": {"en": "Past deadline %", "fa": "٪ گذشته از مهلت", "ar": "% بعد المهلة"},
    "col.longest_wait_days": {"en": "Longest wait, days", "fa": "طولانی‌ترین انتظار، روز", "ar": "أطول انتظار، أيام"},
    "col.trips": {"en": "Trips", "fa": "سفرها", "ar": "الرحلات"},
    "col.patient_places": {"en": "Patient places", "fa": "جای بیماران", "ar": "مقاعد المرضى"},
    "col.mean_hours": {"en": "Mean hours", "fa": "میانگین ساعت", "ar": "متوسط الساعات"},
    "col.max_hours": {"en": "Most hours", "fa": "بیشترین ساعت", "ar": "أقصى الساعات"},
    "col.arrived": {"en": "Reached hospital", "fa": "رسیده به بیمارستان", "ar": "وصلت المستشفى"},
    "col.late": {"en": "After closing", "fa": "پس از تعطیلی", "ar": "بعد الإغلاق"},
    "col.late_rate": {"en": "After closing %", "fa": "٪ پس از تعطیلی", "ar": "% بعد الإغلاق"},
    "col.patients": {"en": "Patients", "fa": "بیماران", "ar": "المرضى"},
    "col.deaths": {"en": "Deaths", "fa": "مرگ‌ها", "ar": "الوفيات"},
    "col.incidents": {"en": "Incidents", "fa": "رویدادها", "ar": "الحوادث"},
    "by.age_group": {"en": "age group", "fa": "گروه سنی", "ar": "الفئة العمرية"},
    "by.sex": {"en": "sex", "fa": "جنس", "ar": "الجنس"},
    "by.specialty": {"en": "specialty", "fa": "تخصص", "ar": "التخصص"},
    "by.facility": {"en": "destination hospital", "fa": "بیمارستان مقصد", "ar": "المستشفى المقصود"},
    "by.priority": {"en": "priority class", "fa": "ردهٔ اولویت", "ar": "فئة الأولوية"},
    "by.status": {"en": "status", "fa": "وضعیت", "ar": "الحالة"},
    "by.cancelled_by": {"en": "who cancelled", "fa": "لغوکننده", "ar": "الجهة التي ألغت"},
    "by.outcomes": {"en": "outcome at the hospital", "fa": "سرانجام در بیمارستان", "ar": "المآل في المستشفى"},
    "by.diagnosis_group": {"en": "diagnosis group", "fa": "گروه تشخیصی", "ar": "المجموعة التشخيصية"},
    "by.type": {
        "en": "type, resource and certainty",
        "fa": "نوع، منبع و درجهٔ اطمینان",
        "ar": "النوع والمورد ودرجة اليقين",
    },
    "by.km_curve": {
        "en": "days since referral (Kaplan–Meier)",
        "fa": "روزهای پس از ارجاع (کاپلان–مایر)",
        "ar": "الأيام منذ الإحالة (كابلان–ماير)",
    },
    "by.gate_by_facility": {"en": "hospital", "fa": "بیمارستان", "ar": "المستشفى"},
    "by.late_by_facility": {"en": "hospital", "fa": "بیمارستان", "ar": "المستشفى"},
    "by.km_by_priority": {
        "en": "priority class (Kaplan–Meier)",
        "fa": "ردهٔ اولویت (کاپلان–مایر)",
        "ar": "فئة الأولوية (كابلان–ماير)",
    },
    "summary.incidents": {
        "en": "{total} obstruction incidents were recorded: {kinds}.",
        "fa": "{total} رویداد ممانعت ثبت شد: {kinds}.",
        "ar": "سُجّل {total} من حوادث العرقلة: {kinds}.",
    },
    "report.issued_by": {"en": "Issued by", "fa": "صادرکننده", "ar": "الجهة المُصدِرة"},
    "report.contact": {"en": "Contact", "fa": "تماس", "ar": "للتواصل"},
    "report.period_covered": {"en": "Period covered", "fa": "دورهٔ گزارش", "ar": "الفترة المشمولة"},
    "report.data_as_of": {"en": "Data as of", "fa": "داده‌ها تا تاریخ", "ar": "البيانات حتى"},
    "report.generated_on": {"en": "Generated", "fa": "تاریخ تهیهٔ این نسخه", "ar": "تاريخ إعداد هذه النسخة"},
    "report.narrative": {
        "en": "The month in the monitors' words",
        "fa": "این ماه به روایت ناظران",
        "ar": "الشهر بكلمات المراقبين",
    },
    "report.narrative_by": {
        "en": "Written by {by} on {date}; ledger entry {seq}.",
        "fa": "نوشتهٔ {by} در {date}؛ ثبت شمارهٔ {seq} دفتر.",
        "ar": "كتبه {by} في {date}؛ القيد رقم {seq} في السجل.",
    },
    "report.narrative_none": {
        "en": "No monitor has written a narrative for this month.",
        "fa": "هیچ ناظری برای این ماه روایتی ننوشته است.",
        "ar": "لم يكتب أي مراقب سردًا لهذا الشهر.",
    },
    "report.refusals": {
        "en": "Permits denied and trips cancelled, with the reasons given",
        "fa": "مجوزهای ردشده و سفرهای لغوشده، با دلایل اعلام‌شده",
        "ar": "التصاريح المرفوضة والرحلات الملغاة، مع الأسباب المعلنة",
    },
    "report.no_reason": {"en": "no reason given", "fa": "دلیلی اعلام نشد", "ar": "لم يُذكر سبب"},
    "report.figures_cover": {"en": "At a glance", "fa": "در یک نگاه", "ar": "لمحة سريعة"},
    "report.evidence_how": {
        "en": "How to check this report: every incident and denial above gives the numbers of the ledger entries "
        "it rests on. The ledger is append-only and each entry is chained to the one before by its SHA-256 "
        "hash, so an entry cannot be changed or removed without breaking every later hash. At intervals the "
        "ledger is signed: the signed checkpoint below states how many entries it held and the root hash of "
        "all of them. The file evidence.json attached to this PDF holds each cited entry and the proof that it "
        "is part of that checkpoint. Anyone who has the issuing organisation's public key can check, with a "
        "freely available verifier and without access to the rest of the ledger, that the entries are "
        "exactly as cited and were signed at that time. Ask the issuing organisation for its public key and "
        "the verifier.",
        "fa": "چگونه این گزارش را بررسی کنیم: کنار هر رویداد و هر رد مجوز، شمارهٔ ثبت‌های دفتر که به آن‌ها تکیه "
        "دارد آمده است. دفتر فقط افزودنی است و هر ثبت با درهم‌نگاری SHA-256 به ثبت پیشین زنجیر شده است؛ پس هیچ "
        "ثبتی را نمی‌توان تغییر داد یا حذف کرد بی‌آنکه همهٔ درهم‌نگاری‌های پس از آن بشکنند. دفتر هر چند گاه امضا "
        "می‌شود: نقطهٔ بازبینی امضاشدهٔ زیر می‌گوید دفتر در آن هنگام چند ثبت داشت و درهم‌نگاری ریشهٔ همهٔ آن‌ها "
        "چیست. پروندهٔ evidence.json که به این PDF پیوست است، هر ثبتِ مورد استناد و اثبات گنجاندن آن در این نقطهٔ "
        "بازبینی را در بر دارد. هر کس کلید عمومی سازمان صادرکننده را داشته باشد، می‌تواند با یک برنامهٔ بازبینی "
        "آزاد و بی‌دسترسی به باقی دفتر بررسی کند که این ثبت‌ها همان‌اند که نقل شده و در آن هنگام امضا شده‌اند. "
        "کلید عمومی و برنامهٔ بازبینی را از سازمان صادرکننده بخواهید.",
        "ar": "كيف تتحقق من هذا التقرير: بجانب كل حادث وكل رفض أرقامُ قيود السجل التي يستند إليها. السجل تراكمي لا "
        "يُحذف منه شيء، وكل قيد مربوط بالذي قبله ببصمة SHA-256، فلا يمكن تغيير قيد أو حذفه دون كسر كل البصمات "
        "التي تليه. ويُوقَّع السجل على فترات: تذكر نقطة التحقق الموقعة أدناه عدد القيود التي كان يضمها وبصمة "
        "الجذر لها جميعًا. ويحوي الملف evidence.json المرفق بهذا الـPDF كل قيد مستشهد به ودليل شموله في نقطة "
        "التحقق تلك. ويستطيع كل من لديه المفتاح العام للجهة المُصدِرة أن يتحقق، بأداة تحقق متاحة مجانًا ودون "
        "الوصول إلى بقية السجل، من أن القيود كما استُشهد بها وأنها وُقّعت في ذلك الوقت. اطلب المفتاح العام وأداة "
        "التحقق من الجهة المُصدِرة.",
    },
    "report.evidence_pending": {
        "en": "The ledger had not yet been signed since the entries cited here were recorded, so no proofs are "
        "attached to this edition. Ask the issuing organisation for an edition made after its next signed "
        "checkpoint: it will carry the proofs.",
        "fa": "از هنگام ثبتِ ثبت‌های مورد استناد این گزارش، دفتر هنوز امضا نشده بود؛ پس هیچ اثباتی به این نسخه "
        "پیوست نیست. نسخه‌ای را که پس از نقطهٔ بازبینی امضاشدهٔ بعدی تهیه شود از سازمان صادرکننده بخواهید؛ آن "
        "نسخه اثبات‌ها را در بر خواهد داشت.",
        "ar": "لم يكن السجل قد وُقّع بعدُ منذ تسجيل القيود المستشهد بها هنا، فلا أدلة مرفقة بهذه النسخة. اطلب من "
        "الجهة المُصدِرة نسخة تُعدّ بعد نقطة التحقق الموقعة التالية: ستحمل الأدلة.",
    },
    "report.head_note": {
        "en": "The ledger's latest entry when this file was made, and its hash: any later copy of the ledger "
        "that holds this entry with this hash contains everything this report was made from, unchanged.",
        "fa": "آخرین ثبت دفتر هنگام تهیهٔ این پرونده و درهم‌نگاری آن: هر نسخهٔ بعدی دفتر که این ثبت را با همین "
        "درهم‌نگاری داشته باشد، همهٔ آنچه این گزارش از آن ساخته شده را بی‌تغییر در بر دارد.",
        "ar": "آخر قيد في السجل عند إعداد هذا الملف وبصمته: أي نسخة لاحقة من السجل تحوي هذا القيد بهذه البصمة "
        "تتضمن كل ما أُعدّ منه هذا التقرير دون تغيير.",
    },
    "col.share_died": {"en": "Died waiting %", "fa": "درگذشته در انتظار ٪", "ar": "توفّوا منتظرين ٪"},
    "col.share_left": {"en": "Left %", "fa": "رفته ٪", "ar": "غادروا ٪"},
    "col.died": {"en": "Died waiting", "fa": "درگذشته در انتظار", "ar": "توفّوا منتظرين"},
    "col.left": {"en": "Left", "fa": "رفته", "ar": "غادروا"},
    "col.km_share_seen": {
        "en": "Seen %, Kaplan–Meier (deaths hidden)",
        "fa": "ویزیت‌شده ٪، کاپلان–مایر (مرگ‌ها پنهان)",
        "ar": "المعاينون ٪، كابلان–ماير (الوفيات مخفية)",
    },
    "by.competing_risks": {
        "en": "days since referral, with death and leaving as competing events (Aalen–Johansen)",
        "fa": "روز از ارجاع، با مرگ و رفتن به عنوان رویدادهای رقیب (آلن–یوهانسن)",
        "ar": "الأيام منذ الإحالة، مع الوفاة والمغادرة حدثين متنافسين (آلن–يوهانسن)",
    },
    "col.hospital": {"en": "Hospital", "fa": "بیمارستان", "ar": "المستشفى"},
    "col.action": {"en": "What", "fa": "چه", "ar": "ماذا"},
    "col.by": {"en": "By", "fa": "از سوی", "ar": "من جانب"},
    "col.reason": {"en": "Reason given", "fa": "دلیل اعلام‌شده", "ar": "السبب المعلن"},
    "dossier.title": {
        "en": "Case dossier: access to hospital care",
        "fa": "پروندهٔ موردی: دسترسی به درمان بیمارستانی",
        "ar": "ملف حالة: الوصول إلى الرعاية في المستشفيات",
    },
    "dossier.pseudonymised": {
        "en": "Pseudonymised: the person appears under a code. The issuing organisation can identify them to a "
        "mandate holder on request, with the person's consent.",
        "fa": "با نام مستعار: این شخص با یک کد آمده است. سازمان صادرکننده می‌تواند در صورت درخواست و با رضایت او، "
        "هویتش را به دارندهٔ مأموریت اعلام کند.",
        "ar": "باسم مستعار: يظهر الشخص برمز. ويمكن للجهة المُصدِرة أن تكشف هويته لصاحب الولاية عند الطلب وبموافقته.",
    },
    "dossier.identity_note": {
        "en": "Identity version: this copy names the person. Its making was recorded in the ledger with its purpose.",
        "fa": "نسخهٔ هویتی: این نسخه نام شخص را دارد. تهیهٔ آن با هدفش در دفتر ثبت شده است.",
        "ar": "نسخة الهوية: تسمّي هذه النسخة الشخص. وقد سُجّل إعدادها في السجل مع الغرض منه.",
    },
    "dossier.erased": {
        "en": "erased: this person's identity can no longer be read",
        "fa": "پاک شده: هویت این شخص دیگر خواندنی نیست",
        "ar": "ممحوّة: لم يعد من الممكن قراءة هوية هذا الشخص",
    },
    "dossier.who": {"en": "1. Who", "fa": "۱. چه کسی", "ar": "١. مَن"},
    "dossier.what": {
        "en": "2. What happened: the referrals and the time waited",
        "fa": "۲. چه روی داد: ارجاع‌ها و زمان انتظار",
        "ar": "٢. ماذا حدث: الإحالات ومدة الانتظار",
    },
    "dossier.when": {
        "en": "3. When and where: every step in order",
        "fa": "۳. کی و کجا: همهٔ گام‌ها به ترتیب",
        "ar": "٣. متى وأين: كل خطوة بالترتيب",
    },
    "dossier.incidents": {
        "en": "4. By whom: obstruction of the person's care",
        "fa": "۴. به دست چه کسی: ممانعت از درمان این شخص",
        "ar": "٤. على يد مَن: عرقلة رعاية هذا الشخص",
    },
    "dossier.remedy": {
        "en": "5. What was done to seek a remedy",
        "fa": "۵. برای جبران چه شد",
        "ar": "٥. ما الذي فُعل لطلب الانتصاف",
    },
    "dossier.evidence": {"en": "6. Evidence", "fa": "۶. شواهد", "ar": "٦. الأدلة"},
    "dossier.code": {"en": "Code", "fa": "کد", "ar": "الرمز"},
    "dossier.name": {"en": "Name", "fa": "نام", "ar": "الاسم"},
    "dossier.contact": {"en": "Contact", "fa": "تماس", "ar": "للتواصل"},
    "dossier.sex": {"en": "Sex", "fa": "جنس", "ar": "الجنس"},
    "dossier.age_group": {"en": "Age group", "fa": "گروه سنی", "ar": "الفئة العمرية"},
    "dossier.site": {"en": "Place of residence", "fa": "محل سکونت", "ar": "مكان الإقامة"},
    "dossier.data_as_of": {"en": "Data as of", "fa": "داده‌ها تا تاریخ", "ar": "البيانات حتى"},
    "dossier.generated": {"en": "Generated", "fa": "تاریخ تهیه", "ar": "تاريخ الإعداد"},
    "dossier.issued_by": {"en": "Issued by", "fa": "صادرکننده", "ar": "الجهة المُصدِرة"},
    "dossier.referred": {"en": "Referred", "fa": "ارجاع", "ar": "الإحالة"},
    "dossier.deadline": {"en": "Clinical deadline", "fa": "مهلت بالینی", "ar": "المهلة السريرية"},
    "dossier.status": {"en": "Now", "fa": "اکنون", "ar": "الآن"},
    "dossier.waited": {"en": "{days} days so far", "fa": "تاکنون {days} روز", "ar": "{days} يومًا حتى الآن"},
    "dossier.waited_seen": {
        "en": "seen after {days} days",
        "fa": "پس از {days} روز ویزیت شد",
        "ar": "عوين بعد {days} يومًا",
    },
    "dossier.past_deadline": {
        "en": "{days} days past the clinical deadline",
        "fa": "{days} روز پس از مهلت بالینی",
        "ar": "بعد المهلة السريرية بـ{days} يومًا",
    },
    "dossier.within_deadline": {
        "en": "within the clinical deadline ({days} days to spare)",
        "fa": "در مهلت بالینی ({days} روز مانده)",
        "ar": "ضمن المهلة السريرية (متبقٍ {days} يومًا)",
    },
    "dossier.hours_held": {"en": "held {hours} hours", "fa": "{hours} ساعت توقف", "ar": "احتُجزت {hours} ساعة"},
    "dossier.by_whom": {
        "en": "{count} of the acts below were done by the authority that controls the crossing (permits, the gate, "
        "cancellations), as recorded from these sources: {sources}.",
        "fa": "{count} مورد از کارهای زیر را مقاماتی انجام دادند که گذرگاه را در دست دارند (مجوزها، گذرگاه، لغوها)، "
        "بر پایهٔ این منابع: {sources}.",
        "ar": "قامت بـ{count} من الأفعال أدناه السلطاتُ التي تتحكم بالمعبر (التصاريح، البوابة، الإلغاءات)، كما سُجّلت "
        "من هذه المصادر: {sources}.",
    },
    "dossier.remedies": {
        "en": "The camp asked the authority {requests} times for permission for this person to travel to "
        "hospital: {approved} approved, {denied} denied and {unanswered} never answered. Trips then "
        "cancelled by the authority: {cancelled}.",
        "fa": "اردوگاه {requests} بار از مقامات برای سفر این شخص به بیمارستان اجازه خواست: {approved} تأیید، "
        "{denied} رد و {unanswered} هرگز پاسخ داده نشد. سفرهایی که سپس مقامات لغو کردند: {cancelled}.",
        "ar": "طلب المخيم من السلطات {requests} مرة السماح لهذا الشخص بالسفر إلى المستشفى: وُوفق على {approved}، "
        "ورُفض {denied}، ولم يُردّ على {unanswered} قط. الرحلات التي ألغتها السلطات بعد ذلك: {cancelled}.",
    },
    "dossier.ledger_head": {
        "en": "Ledger's latest entry when this file was made",
        "fa": "آخرین ثبت دفتر هنگام تهیهٔ این پرونده",
        "ar": "آخر قيد في السجل عند إعداد هذا الملف",
    },
    "dossier.cited": {
        "en": "Ledger entries cited, with their proofs in evidence.json",
        "fa": "ثبت‌های مورد استناد، با اثبات‌هایشان در evidence.json",
        "ar": "قيود السجل المستشهد بها، مع أدلتها في evidence.json",
    },
    "dossier.none": {"en": "None recorded.", "fa": "موردی ثبت نشده است.", "ar": "لم يُسجَّل شيء."},
    "dossier.files": {
        "en": "Files attached as evidence (kept sealed and exactly as received; each named by its SHA-256)",
        "fa": "پرونده‌های پیوست‌شده به‌عنوان شاهد (مهروموم‌شده و دقیقاً همان‌گونه که رسیده؛ هر یک با SHA-256 خود)",
        "ar": "الملفات المرفقة دليلًا (محفوظة مختومة كما وردت تمامًا؛ كلٌّ منها باسم SHA-256 الخاص به)",
    },
    "dossier.file": {
        "en": "{kind}, documenting entry {documents}; C2PA provenance: {c2pa}",
        "fa": "{kind}، مستندِ ثبت {documents}؛ منشأ C2PA: {c2pa}",
        "ar": "{kind}، يوثّق القيد {documents}؛ مصدر C2PA: {c2pa}",
    },
    "dossier.kind_image": {"en": "photo", "fa": "عکس", "ar": "صورة"},
    "dossier.kind_video": {"en": "video", "fa": "ویدیو", "ar": "فيديو"},
    "dossier.kind_audio": {"en": "audio recording", "fa": "ضبط صدا", "ar": "تسجيل صوتي"},
    "dossier.kind_document": {"en": "document", "fa": "سند", "ar": "مستند"},
    "dossier.kind_bundle": {"en": "ProofMode proof bundle", "fa": "بستهٔ اثبات ProofMode", "ar": "حزمة إثبات ProofMode"},
    "dossier.proofmode": {
        "en": "{what}; ProofMode hashes and signatures: {status}",
        "fa": "{what}؛ هش‌ها و امضاهای ProofMode: {status}",
        "ar": "{what}؛ تجزئات وتواقيع ProofMode: {status}",
    },
    "dossier.c2pa_valid": {"en": "verifies", "fa": "تأیید می‌شود", "ar": "يتحقق"},
    "dossier.c2pa_invalid": {"en": "does not verify", "fa": "تأیید نمی‌شود", "ar": "لا يتحقق"},
    "dossier.c2pa_none": {"en": "none", "fa": "ندارد", "ar": "لا يوجد"},
    "dossier.c2pa_unchecked": {"en": "not checked", "fa": "بررسی نشد", "ar": "لم يُتحقَّق منه"},
    # What happened, one sentence per kind of obstruction (corridor.reports.obstruction).
    "what.permit_denied": {
        "en": "The authority denied the permit for a trip to {place} carrying {patients} patient(s).",
        "fa": "مقامات مجوز سفر {patients} بیمار به {place} را رد کردند.",
        "ar": "رفضت السلطات تصريح رحلة إلى {place} تقل {patients} من المرضى.",
    },
    "what.no_answer": {
        "en": "A trip to {place} for {patients} patient(s), requested on {requested}, had no answer by the "
        "appointment date.",
        "fa": "درخواست سفر {patients} بیمار به {place} که در {requested} داده شد، تا روز نوبت بی‌پاسخ ماند.",
        "ar": "لم يصل رد حتى موعد المراجعة على طلب رحلة إلى {place} لـ{patients} من المرضى قُدّم في {requested}.",
    },
    "what.cancelled_by_authority": {
        "en": "The authority cancelled a trip to {place} carrying {patients} patient(s).",
        "fa": "مقامات سفر {patients} بیمار به {place} را لغو کردند.",
        "ar": "ألغت السلطات رحلة إلى {place} تقل {patients} من المرضى.",
    },
    "what.held_at_gate": {
        "en": "A trip to {place} carrying {patients} patient(s) was held at the gate for {hours} hours.",
        "fa": "سفر {patients} بیمار به {place} {hours} ساعت در گذرگاه متوقف ماند.",
        "ar": "احتُجزت رحلة إلى {place} تقل {patients} من المرضى عند البوابة {hours} ساعة.",
    },
    "what.turned_back": {
        "en": "The gate turned back a trip to {place} carrying {patients} patient(s).",
        "fa": "سفر {patients} بیمار به {place} در گذرگاه بازگردانده شد.",
        "ar": "أُعيدت من البوابة رحلة إلى {place} تقل {patients} من المرضى.",
    },
    "what.arrived_after_closing": {
        "en": "A trip carrying {patients} patient(s) reached {place} after it had closed for the day.",
        "fa": "سفر {patients} بیمار پس از تعطیل شدن {place} در آن روز به آنجا رسید.",
        "ar": "وصلت رحلة تقل {patients} من المرضى إلى {place} بعد إغلاقه في ذلك اليوم.",
    },
    "what.companion_rejected": {
        "en": "The authority refused the {role} of a patient travelling to {place}.",
        "fa": "مقامات {role} بیمارِ عازم {place} را نپذیرفتند.",
        "ar": "رفضت السلطات {role} مريض متوجه إلى {place}.",
    },
    "what.delivery_blocked": {
        "en": "A delivery of {item} ({amount}) was blocked at the gate.",
        "fa": "محمولهٔ {item} ({amount}) در گذرگاه متوقف شد.",
        "ar": "أُوقفت عند البوابة شحنة {item} ({amount}).",
    },
    "what.delivery_cut": {
        "en": "Only {allowed} of a delivery of {item} ({amount}) was let through.",
        "fa": "از محمولهٔ {item} ({amount}) تنها {allowed} اجازهٔ عبور گرفت.",
        "ar": "لم يُسمح إلا بمرور {allowed} من شحنة {item} ({amount}).",
    },
    "what.recorded": {
        "en": "{type}, affecting {resource}.",
        "fa": "{type}؛ آسیب‌دیده: {resource}.",
        "ar": "{type}، والمتضرر: {resource}.",
    },
    "what.unknown_amount": {"en": "quantity not recorded", "fa": "مقدار ثبت نشده", "ar": "الكمية غير مسجلة"},
    "what.reason": {
        "en": "Reason given: “{reason}”.",
        "fa": "دلیل اعلام‌شده: «{reason}».",
        "ar": "السبب المعلن: «{reason}».",
    },
    "what.no_reason": {"en": "No reason was given.", "fa": "دلیلی اعلام نشد.", "ar": "لم يُذكر أي سبب."},
    "col.kind": {"en": "What", "fa": "چه", "ar": "ماذا"},
    "col.what_happened": {"en": "What happened", "fa": "چه روی داد", "ar": "ما الذي حدث"},
    "col.place": {"en": "Place", "fa": "مکان", "ar": "المكان"},
    "col.entries": {"en": "Ledger entries", "fa": "ثبت‌های دفتر", "ar": "قيود السجل"},
}

# Words for the codes that appear in tables, by kind.
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "kind": {
        "permit_denied": {"en": "Permit denied", "fa": "رد مجوز", "ar": "رفض التصريح"},
        "no_answer": {"en": "No answer by the appointment", "fa": "بی‌پاسخ تا روز نوبت", "ar": "لا رد حتى الموعد"},
        "cancelled_by_authority": {
            "en": "Trip cancelled by the authority",
            "fa": "لغو سفر از سوی مقامات",
            "ar": "إلغاء الرحلة من السلطات",
        },
        "held_at_gate": {"en": "Held at the gate", "fa": "توقف در گذرگاه", "ar": "احتجاز عند البوابة"},
        "turned_back": {"en": "Turned back", "fa": "بازگردانده‌شده", "ar": "إعادة من البوابة"},
        "arrived_after_closing": {
            "en": "Arrived after closing",
            "fa": "رسیدن پس از تعطیلی",
            "ar": "الوصول بعد الإغلاق",
        },
        "companion_rejected": {"en": "Companion refused", "fa": "رد همراه", "ar": "رفض المرافق"},
        "delivery_blocked": {"en": "Delivery blocked", "fa": "توقف محموله", "ar": "منع الشحنة"},
        "delivery_cut": {"en": "Delivery cut", "fa": "کاهش محموله", "ar": "تقليص الشحنة"},
        "recorded": {"en": "Recorded incident", "fa": "رویداد ثبت‌شده", "ar": "حادث مسجل"},
    },
    "action": {
        "denied": {"en": "permit denied", "fa": "رد مجوز", "ar": "رفض التصريح"},
        "cancelled": {"en": "trip cancelled", "fa": "لغو سفر", "ar": "إلغاء الرحلة"},
    },
    "referral_status": {
        "waiting": {"en": "waiting", "fa": "در انتظار", "ar": "قيد الانتظار"},
        "in_care": {"en": "in care", "fa": "در حال درمان", "ar": "قيد العلاج"},
        "treated": {"en": "treated", "fa": "درمان‌شده", "ar": "عولج"},
        "died": {"en": "died while waiting", "fa": "در انتظار درگذشت", "ar": "توفي أثناء الانتظار"},
        "left": {"en": "left the waiting list", "fa": "از فهرست انتظار رفت", "ar": "غادر قائمة الانتظار"},
        "withdrawn": {"en": "withdrawn", "fa": "پس‌گرفته", "ar": "سُحبت"},
    },
    "event": {
        "patient.registered": {"en": "Registered", "fa": "ثبت‌نام", "ar": "التسجيل"},
        "referral.created": {"en": "Referred", "fa": "ارجاع", "ar": "الإحالة"},
        "referral.changed": {"en": "Referral changed", "fa": "تغییر ارجاع", "ar": "تعديل الإحالة"},
        "trip.requested": {"en": "Permit requested", "fa": "درخواست مجوز", "ar": "طلب التصريح"},
        "trip.approved": {"en": "Permit approved", "fa": "تأیید مجوز", "ar": "الموافقة على التصريح"},
        "trip.denied": {"en": "Permit denied", "fa": "رد مجوز", "ar": "رفض التصريح"},
        "trip.cancelled": {"en": "Trip cancelled", "fa": "لغو سفر", "ar": "إلغاء الرحلة"},
        "trip.manifest_changed": {"en": "Passengers changed", "fa": "تغییر مسافران", "ar": "تغيير الركاب"},
        "gate.arrived": {"en": "Reached the gate", "fa": "رسیدن به گذرگاه", "ar": "الوصول إلى البوابة"},
        "gate.held": {"en": "Held at the gate", "fa": "توقف در گذرگاه", "ar": "احتجاز عند البوابة"},
        "gate.released": {"en": "Let through the gate", "fa": "عبور از گذرگاه", "ar": "العبور من البوابة"},
        "gate.turned_back": {"en": "Turned back at the gate", "fa": "بازگردانده در گذرگاه", "ar": "إعادة من البوابة"},
        "trip.departed": {"en": "Left the camp", "fa": "خروج از اردوگاه", "ar": "مغادرة المخيم"},
        "trip.arrived": {"en": "Reached the hospital", "fa": "رسیدن به بیمارستان", "ar": "الوصول إلى المستشفى"},
        "trip.companion_answered": {"en": "Companion answered", "fa": "پاسخ دربارهٔ همراه", "ar": "الرد بشأن المرافق"},
        "patient.seen": {"en": "Seen at the hospital", "fa": "ویزیت در بیمارستان", "ar": "المعاينة في المستشفى"},
        "patient.not_seen": {"en": "Not seen", "fa": "ویزیت نشد", "ar": "لم يُعاين"},
        "appointment.missed": {"en": "Appointment missed", "fa": "نوبت از دست رفت", "ar": "فوات الموعد"},
        "trip.returned": {"en": "Back in the camp", "fa": "بازگشت به اردوگاه", "ar": "العودة إلى المخيم"},
        "referral.closed": {"en": "Referral closed", "fa": "بستن ارجاع", "ar": "إغلاق الإحالة"},
        "patient.died": {"en": "Died", "fa": "درگذشت", "ar": "الوفاة"},
        "patient.left": {"en": "Left", "fa": "رفتن", "ar": "المغادرة"},
        "incident.recorded": {"en": "Incident recorded", "fa": "ثبت رویداد", "ar": "تسجيل حادث"},
    },
    "companion": {
        "escort": {"en": "escort", "fa": "همراه", "ar": "مرافق"},
        "interpreter": {"en": "interpreter", "fa": "مترجم", "ar": "مترجم"},
        "nurse": {"en": "nurse", "fa": "پرستار", "ar": "ممرض"},
    },
    "sex": {
        "f": {"en": "female", "fa": "زن", "ar": "أنثى"},
        "m": {"en": "male", "fa": "مرد", "ar": "ذكر"},
        "u": {"en": "not recorded", "fa": "ثبت‌نشده", "ar": "غير مسجل"},
    },
    "age_group": {
        "<18": {"en": "under 18", "fa": "زیر ۱۸", "ar": "دون ١٨"},
        "18-40": {"en": "18–40", "fa": "۱۸ تا ۴۰", "ar": "١٨ إلى ٤٠"},
        "41-60": {"en": "41–60", "fa": "۴۱ تا ۶۰", "ar": "٤١ إلى ٦٠"},
        ">60": {"en": "over 60", "fa": "بالای ۶۰", "ar": "فوق ٦٠"},
    },
    "common": {
        "unknown": {"en": "unknown", "fa": "نامعلوم", "ar": "غير معروف"},
        "all": {"en": "all", "fa": "همه", "ar": "الكل"},
    },
    "specialty": {
        "oncology": {"en": "oncology", "fa": "سرطان‌شناسی", "ar": "الأورام"},
        "ophthalmology": {"en": "ophthalmology", "fa": "چشم‌پزشکی", "ar": "طب العيون"},
        "cardiology": {"en": "cardiology", "fa": "قلب", "ar": "أمراض القلب"},
        "orthopaedics": {"en": "orthopaedics", "fa": "ارتوپدی", "ar": "جراحة العظام"},
        "nephrology": {"en": "nephrology / dialysis", "fa": "کلیه / دیالیز", "ar": "الكلى / غسيل الكلى"},
        "neurology": {"en": "neurology", "fa": "مغز و اعصاب", "ar": "الأعصاب"},
        "general_surgery": {"en": "general surgery", "fa": "جراحی عمومی", "ar": "الجراحة العامة"},
        "obstetrics": {"en": "obstetrics", "fa": "زنان و زایمان", "ar": "التوليد"},
        "paediatrics": {"en": "paediatrics", "fa": "کودکان", "ar": "طب الأطفال"},
        "imaging": {"en": "imaging", "fa": "تصویربرداری", "ar": "التصوير الطبي"},
        "other": {"en": "other", "fa": "دیگر", "ar": "أخرى"},
    },
    "status": {
        "requested": {"en": "requested, no answer", "fa": "درخواست‌شده، بی‌پاسخ", "ar": "مطلوبة، دون رد"},
        "approved": {
            "en": "approved, not yet left",
            "fa": "تأییدشده، هنوز راه نیفتاده",
            "ar": "موافق عليها، لم تنطلق بعد",
        },
        "denied": {"en": "denied", "fa": "ردشده", "ar": "مرفوضة"},
        "cancelled": {"en": "cancelled", "fa": "لغوشده", "ar": "ملغاة"},
        "departed": {"en": "on the way", "fa": "در راه", "ar": "في الطريق"},
        "returned": {"en": "returned", "fa": "بازگشته", "ar": "عادت"},
    },
    "outcome": {
        "pending": {"en": "not recorded", "fa": "ثبت‌نشده", "ar": "غير مسجل"},
        "seen": {
            "en": "seen for diagnosis or review",
            "fa": "ویزیت برای تشخیص یا بررسی",
            "ar": "عوين للتشخيص أو المراجعة",
        },
        "procedure_done": {"en": "seen, procedure done", "fa": "ویزیت و اقدام درمانی", "ar": "عوين وأُجري الإجراء"},
        "admitted": {"en": "seen and admitted", "fa": "ویزیت و بستری", "ar": "عوين وأُدخل المستشفى"},
        "treatment_started": {"en": "seen, treatment started", "fa": "ویزیت و آغاز درمان", "ar": "عوين وبدأ العلاج"},
        "follow_up": {"en": "seen, follow-up needed", "fa": "ویزیت، نیاز به پیگیری", "ar": "عوين، تلزم متابعة"},
        "care_complete": {"en": "seen, care complete", "fa": "ویزیت، پایان درمان", "ar": "عوين، اكتملت الرعاية"},
        "no_doctor": {"en": "not seen: no doctor", "fa": "ویزیت نشد: پزشک نبود", "ar": "لم يُعاين: لا طبيب"},
        "refused": {"en": "not seen: refused", "fa": "ویزیت نشد: پذیرفته نشد", "ar": "لم يُعاين: رُفض"},
        "turned_back": {
            "en": "not seen: turned back at the gate",
            "fa": "ویزیت نشد: در گذرگاه بازگردانده شد",
            "ar": "لم يُعاين: أُعيد عند البوابة",
        },
        "not_seen_other": {"en": "not seen: other reason", "fa": "ویزیت نشد: دلیل دیگر", "ar": "لم يُعاين: سبب آخر"},
    },
    "certainty": {
        "confirmed": {"en": "confirmed", "fa": "قطعی", "ar": "مؤكد"},
        "probable": {"en": "probable", "fa": "محتمل", "ar": "مرجّح"},
        "possible": {"en": "possible", "fa": "ممکن", "ar": "ممكن"},
        "unverified": {"en": "unverified", "fa": "راستی‌آزمایی‌نشده", "ar": "غير متحقق منه"},
    },
    "source": {
        "witness": {"en": "witness", "fa": "شاهد", "ar": "شاهد"},
        "document": {"en": "document", "fa": "سند", "ar": "وثيقة"},
        "media": {"en": "media", "fa": "رسانه", "ar": "وسائل الإعلام"},
        "official_statement": {"en": "official statement", "fa": "بیانیهٔ رسمی", "ar": "بيان رسمي"},
        "publication": {"en": "publication", "fa": "نشریه", "ar": "منشور"},
        "system": {"en": "system", "fa": "سامانه", "ar": "النظام"},
    },
    "item": {
        "diesel": {"en": "diesel", "fa": "گازوئیل", "ar": "الديزل"},
        "food": {"en": "food", "fa": "غذا", "ar": "الغذاء"},
        "medicine": {"en": "medicine", "fa": "دارو", "ar": "الأدوية"},
        "oxygen": {"en": "oxygen", "fa": "اکسیژن", "ar": "الأكسجين"},
        "water": {"en": "water", "fa": "آب", "ar": "الماء"},
        "sewage_service": {"en": "sewage service", "fa": "خدمات فاضلاب", "ar": "خدمات الصرف الصحي"},
        "insulin": {"en": "insulin", "fa": "انسولین", "ar": "الإنسولين"},
        "antibiotics": {"en": "antibiotics", "fa": "آنتی‌بیوتیک", "ar": "المضادات الحيوية"},
        "septic": {"en": "septic tanks", "fa": "مخزن‌های فاضلاب", "ar": "خزانات الصرف الصحي"},
        "other": {"en": "other", "fa": "دیگر", "ar": "أخرى"},
    },
    "attack_type": {
        "violence_individual_weapons": {
            "en": "Violence with individual weapons",
            "fa": "خشونت با سلاح فردی",
            "ar": "عنف بأسلحة فردية",
        },
        "violence_heavy_weapons": {
            "en": "Violence with heavy weapons",
            "fa": "خشونت با سلاح سنگین",
            "ar": "عنف بأسلحة ثقيلة",
        },
        "psychological_violence": {
            "en": "Psychological violence/threat of violence/intimidation",
            "fa": "خشونت روانی، تهدید به خشونت یا ارعاب",
            "ar": "عنف نفسي أو تهديد بالعنف أو ترهيب",
        },
        "obstruction": {
            "en": "Obstruction to delivery of care",
            "fa": "ممانعت از ارائهٔ مراقبت",
            "ar": "عرقلة تقديم الرعاية",
        },
        "assault_without_weapons": {"en": "Assault without weapons", "fa": "حمله بدون سلاح", "ar": "اعتداء دون سلاح"},
        "sexual_assault": {"en": "Sexual assault", "fa": "تجاوز جنسی", "ar": "اعتداء جنسي"},
        "abduction": {
            "en": "Abduction/arrest/detention of health personnel or patients",
            "fa": "ربودن، بازداشت یا حبس کارکنان سلامت یا بیماران",
            "ar": "اختطاف أو اعتقال أو احتجاز العاملين الصحيين أو المرضى",
        },
        "armed_search": {
            "en": "Armed or violent search of health resource",
            "fa": "بازرسی مسلحانه یا خشن مراکز سلامت",
            "ar": "تفتيش مسلح أو عنيف لموارد صحية",
        },
        "removal_of_assets": {
            "en": "Removal of health care assets",
            "fa": "ضبط یا بردن اموال مراقبت سلامت",
            "ar": "الاستيلاء على أصول الرعاية الصحية",
        },
        "setting_fire": {
            "en": "Setting fire to health resources",
            "fa": "به آتش کشیدن منابع سلامت",
            "ar": "إضرام النار في موارد صحية",
        },
        "militarization": {
            "en": "Militarization of health care facility",
            "fa": "نظامی‌کردن مرکز درمانی",
            "ar": "عسكرة منشأة الرعاية الصحية",
        },
    },
    "resource": {
        "facility": {"en": "Health care facility", "fa": "مرکز درمانی", "ar": "منشأة رعاية صحية"},
        "transport": {"en": "Health care transport", "fa": "وسیلهٔ نقل درمانی", "ar": "وسيلة نقل صحية"},
        "personnel": {"en": "Health care personnel", "fa": "کارکنان سلامت", "ar": "العاملون الصحيون"},
        "patients": {"en": "Patients", "fa": "بیماران", "ar": "المرضى"},
        "supplies": {"en": "Health care supplies", "fa": "تدارکات درمانی", "ar": "الإمدادات الصحية"},
        "warehouse": {"en": "Warehouse", "fa": "انبار", "ar": "مستودع"},
    },
    "diagnosis_group": {
        "not coded": {"en": "not coded", "fa": "بدون کد", "ar": "غير مرمّز"},
        "I infectious and parasitic": {
            "en": "I infectious and parasitic",
            "fa": "I عفونی و انگلی",
            "ar": "I المعدية والطفيلية",
        },
        "II neoplasms": {"en": "II neoplasms", "fa": "II نئوپلاسم‌ها (سرطان‌ها)", "ar": "II الأورام"},
        "III blood and immune": {"en": "III blood and immune", "fa": "III خون و ایمنی", "ar": "III الدم والمناعة"},
        "IV endocrine and metabolic": {
            "en": "IV endocrine and metabolic",
            "fa": "IV غدد درون‌ریز و متابولیک",
            "ar": "IV الغدد الصماء والاستقلاب",
        },
        "V mental and behavioural": {
            "en": "V mental and behavioural",
            "fa": "V روانی و رفتاری",
            "ar": "V النفسية والسلوكية",
        },
        "VI nervous system": {"en": "VI nervous system", "fa": "VI دستگاه عصبی", "ar": "VI الجهاز العصبي"},
        "VII eye": {"en": "VII eye", "fa": "VII چشم", "ar": "VII العين"},
        "VIII ear": {"en": "VIII ear", "fa": "VIII گوش", "ar": "VIII الأذن"},
        "IX circulatory": {"en": "IX circulatory", "fa": "IX دستگاه گردش خون", "ar": "IX الدورة الدموية"},
        "X respiratory": {"en": "X respiratory", "fa": "X دستگاه تنفس", "ar": "X الجهاز التنفسي"},
        "XI digestive": {"en": "XI digestive", "fa": "XI دستگاه گوارش", "ar": "XI الجهاز الهضمي"},
        "XII skin": {"en": "XII skin", "fa": "XII پوست", "ar": "XII الجلد"},
        "XIII musculoskeletal": {
            "en": "XIII musculoskeletal",
            "fa": "XIII اسکلتی–عضلانی",
            "ar": "XIII العضلات والهيكل العظمي",
        },
        "XIV genitourinary": {"en": "XIV genitourinary", "fa": "XIV ادراری–تناسلی", "ar": "XIV الجهاز البولي التناسلي"},
        "XV pregnancy and childbirth": {
            "en": "XV pregnancy and childbirth",
            "fa": "XV بارداری و زایمان",
            "ar": "XV الحمل والولادة",
        },
        "XVI perinatal": {"en": "XVI perinatal", "fa": "XVI دورهٔ پیرامون تولد", "ar": "XVI الفترة المحيطة بالولادة"},
        "XVII congenital": {"en": "XVII congenital", "fa": "XVII مادرزادی", "ar": "XVII الخلقية"},
        "XVIII symptoms and signs": {
            "en": "XVIII symptoms and signs",
            "fa": "XVIII علائم و نشانه‌ها",
            "ar": "XVIII الأعراض والعلامات",
        },
        "XIX injury and poisoning": {
            "en": "XIX injury and poisoning",
            "fa": "XIX آسیب و مسمومیت",
            "ar": "XIX الإصابات والتسمم",
        },
        "XX external causes": {"en": "XX external causes", "fa": "XX علل بیرونی", "ar": "XX الأسباب الخارجية"},
        "XXI health services contact": {
            "en": "XXI health services contact",
            "fa": "XXI مراجعه به خدمات سلامت",
            "ar": "XXI التواصل مع الخدمات الصحية",
        },
        "XXII special purposes": {"en": "XXII special purposes", "fa": "XXII کاربردهای ویژه", "ar": "XXII أغراض خاصة"},
    },
}

METHODS: dict[str, list[str]] = {
    "en": [
        "Every figure is computed from Corridor's register and its append-only, hash-chained ledger, by the "
        "definitions printed beside it and listed in full in the project's docs/indicators.md.",
        "Requests follow the WHO's monthly reports on patients' permit applications: one request per patient and "
        "trip; a request is approved or denied when that answer came on or before the trip date, and delayed when "
        "no definitive answer came by then, so that approved, denied and delayed add up to all requests.",
        "Time to care runs from the referral to the first completed hospital visit. Its curve is a cumulative "
        "incidence (Aalen–Johansen) with death and leaving as competing events: people still waiting count up "
        "to today without being assumed seen or lost, and those who died or left before being seen end their "
        "wait there, so the shares seen, died and left add up, with those still waiting, to everyone referred. "
        "The dashed Kaplan–Meier curve beside it treats the dead and those who left as if they might still be "
        "seen, so it shows how soon people who stay are seen, not how many ever are. Where many die waiting, the "
        "Kaplan–Meier share seen is higher than the competing-risks one; the gap is the care that the dead were "
        "never given.",
        "Incidents use the terms of the WHO Surveillance System for Attacks on Health Care: type of attack, "
        "resource affected and level of certainty. Each incident keeps the source and certainty it was recorded "
        "with; corrected entries count as corrected and retracted ones not at all.",
        "Patients appear under no name. Ages are grouped; identity fields never leave the register.",
    ],
    "fa": [
        "همهٔ ارقام از دفتر بیماران و دفتر ثبتِ افزایشی و زنجیره‌ایِ کوریدور، بر پایهٔ تعریف‌هایی که کنار هر رقم آمده "
        "و متن کامل آن‌ها در پروندهٔ docs/indicators.md پروژه است، محاسبه شده‌اند.",
        "درخواست‌ها مطابق گزارش‌های ماهانهٔ سازمان جهانی بهداشت دربارهٔ درخواست مجوز بیماران شمرده می‌شوند: یک درخواست "
        "برای هر بیمار در هر سفر؛ درخواستی تأییدشده یا ردشده است که این پاسخ تا روز سفر رسیده باشد، و بی‌پاسخ است اگر "
        "تا آن روز پاسخ قطعی نرسیده باشد؛ بنابراین مجموع تأییدشده، ردشده و بی‌پاسخ برابر همهٔ درخواست‌هاست.",
        "زمان تا درمان از ارجاع تا نخستین ویزیت کامل در بیمارستان است. منحنی آن بروز تجمعی (آلن–یوهانسن) است با مرگ "
        "و رفتن به عنوان رویدادهای رقیب: کسانی که هنوز منتظرند تا امروز به حساب می‌آیند، بی‌آنکه ویزیت‌شده یا از "
        "دست‌رفته فرض شوند، و انتظار کسانی که پیش از ویزیت درگذشتند یا رفتند همان‌جا پایان می‌یابد؛ پس سهم ویزیت‌شدگان، "
        "درگذشتگان و رفتگان با منتظران روی هم همهٔ ارجاع‌شدگان است. منحنی نقطه‌چین کاپلان–مایر در کنار آن درگذشتگان و "
        "رفتگان را چنان می‌شمارد که گویی هنوز ممکن است ویزیت شوند؛ پس نشان می‌دهد کسانی که می‌مانند چه زود ویزیت "
        "می‌شوند، نه اینکه چند نفر سرانجام ویزیت می‌شوند. هر جا بسیاری در انتظار بمیرند، سهم ویزیت‌شده در کاپلان–مایر "
        "از سهم خطرهای رقیب بیشتر است؛ این فاصله درمانی است که درگذشتگان هرگز نگرفتند.",
        "رویدادها با اصطلاحات نظام پایش حمله به مراقبت‌های سلامت سازمان جهانی بهداشت ثبت شده‌اند: نوع حمله، منبع "
        "آسیب‌دیده و درجهٔ اطمینان. هر رویداد منبع و درجهٔ اطمینانی را که با آن ثبت شده نگه می‌دارد؛ ثبت‌های اصلاح‌شده "
        "به صورت اصلاح‌شده و ثبت‌های پس‌گرفته‌شده اصلاً شمرده نمی‌شوند.",
        "بیماران بی‌نام آمده‌اند. سن‌ها گروه‌بندی شده‌اند و اطلاعات هویتی هرگز از دفتر بیماران بیرون نمی‌رود.",
    ],
    "ar": [
        "كل رقم محسوب من سجل كوريدور وسجله التراكمي المتسلسل بالبصمات، وفق التعريفات المطبوعة بجانبه والمفصلة "
        "في ملف docs/indicators.md في المشروع.",
        "تُعدّ الطلبات كما في تقارير منظمة الصحة العالمية الشهرية عن طلبات تصاريح المرضى: طلب واحد لكل مريض في كل "
        "رحلة؛ ويكون الطلب موافقًا عليه أو مرفوضًا إذا وصل هذا الرد في تاريخ الرحلة أو قبله، ومتأخرًا إذا لم يصل رد "
        "نهائي حتى ذلك اليوم، فيكون مجموع الموافق عليها والمرفوضة والمتأخرة مساويًا لكل الطلبات.",
        "يُقاس الوقت حتى العلاج من الإحالة إلى أول زيارة مكتملة في المستشفى. ومنحناه حدوث تراكمي (آلن–يوهانسن) مع "
        "الوفاة والمغادرة حدثين متنافسين: من لا يزالون ينتظرون يُحتسبون حتى اليوم دون افتراض أنهم عوينوا أو فُقدوا، "
        "ومن تُوفّي أو غادر قبل المعاينة ينتهي انتظاره هناك، فتساوي نسب المعاينين والمتوفين والمغادرين مع المنتظرين "
        "كل المُحالين. أما منحنى كابلان–ماير المتقطع بجانبه فيعدّ المتوفين والمغادرين كأنهم قد يُعاينون بعد، فيُظهر "
        "سرعة معاينة من يبقون، لا عدد من يُعاينون في النهاية. وحيث يموت كثيرون منتظرين تكون نسبة المعاينين في "
        "كابلان–ماير أعلى منها في المخاطر المتنافسة؛ والفرق هو العلاج الذي لم ينله الموتى قط.",
        "تُستخدم للحوادث مصطلحات نظام ترصد الهجمات على الرعاية الصحية التابع لمنظمة الصحة العالمية: نوع الهجوم، "
        "والمورد المتضرر، ودرجة اليقين. ويحتفظ كل حادث بالمصدر ودرجة اليقين اللذين سُجّل بهما؛ وتُحتسب القيود "
        "المصححة بعد تصحيحها ولا تُحتسب القيود المسحوبة إطلاقًا.",
        "يظهر المرضى دون أسماء. والأعمار مجمّعة في فئات، ولا تخرج بيانات الهوية من السجل أبدًا.",
    ],
}


# Kinds whose words are the code list's own gettext labels (corridor.vocabulary), as on every screen.
VOCABULARY = {"cancelled_by": "cancelled_by"}


def tr(key: str, language: str, **values: object) -> str:
    """The message ``key`` in ``language`` (English when missing), with ``values`` filled in.

    An unknown key gives its last part in plain words, so that a table added by another module
    without words of its own still reads.
    """
    found = MESSAGES.get(key)
    if found is None:  # a word another module's table did not provide: its code, readable
        return key.split(".", 1)[-1].replace("_", " ")
    text = found.get(language) or found["en"]
    return text.format(**values) if values else text


def label(kind: str, code: object, language: str) -> str:
    """Words for a code shown in a table (a sex, an outcome, a certainty…), or the code itself."""
    if code is None:
        return "—"
    text = str(code)
    if kind in VOCABULARY and text in vocabulary.codes(VOCABULARY[kind]):
        return vocabulary.label(VOCABULARY[kind], text, language)
    found = LABELS.get(kind, {}).get(text) or LABELS["common"].get(text)
    if found:
        return found.get(language) or found["en"]
    return text


def join(items: Iterable[str], language: str) -> str:
    """Items of a list joined by the comma of ``language``."""
    return _LIST_SEPARATOR.get(language, ", ").join(items)


def digits(text: str, language: str) -> str:
    """Write Western digits as the language's own (Persian or Arabic-Indic)."""
    table = _DIGITS.get(language)
    if not table:
        return text
    return text.translate(str.maketrans("0123456789", table))


def number(value: float | int | None, language: str, decimals: int = 0, percent: bool = False) -> str:
    """A number as readers of ``language`` write it; an empty (suppressed or undefined) value is a dash."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"
    if language in _DIGITS:
        text = text.replace(",", "\0").replace(".", _DECIMAL[language]).replace("\0", _GROUP[language])
        text = digits(text, language)
        return text + _PERCENT[language] if percent else text
    return text + " %" if percent else text


def date(day: dt.date, language: str) -> str:
    """``14 October 2014`` in the language's words and digits (Gregorian calendar)."""
    text = f"{day.day} {MONTHS.get(language, MONTHS['en'])[day.month - 1]} {day.year}"
    return digits(text, language)


def month(day: dt.date, language: str) -> str:
    return digits(f"{MONTHS.get(language, MONTHS['en'])[day.month - 1]} {day.year}", language)


def jalali(day: dt.date) -> str:
    """The Solar Hijri date that Persian readers use, e.g. ``۲۲ مهر ۱۳۹۳``."""
    import jdatetime

    j = jdatetime.date.fromgregorian(date=day)
    return digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}", "fa")
