"""Commerce: licence terms, carts, orders, payments and invoices."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stockdata.append_only import AppendOnlyModel
from stockdata.i18n import is_japanese


class LicenceTerms(models.Model):
    """A version of the dataset licence. Orders record the exact version accepted; text never changes once used."""

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("e.g. sd-ai-training-1.0"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    body_en = models.TextField(_("terms (English)"))
    body_ja = models.TextField(_("terms (Japanese)"))
    effective_from = models.DateField(_("effective from"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "code"]
        verbose_name = _("licence terms")
        verbose_name_plural = _("licence terms")

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self.title_ja if is_japanese() else self.title_en

    @property
    def body(self) -> str:
        return self.body_ja if is_japanese() else self.body_en


# --- Cart, orders, payments, invoices, provision records -----------------------------------


class IntendedUse(models.TextChoices):
    RESEARCH = "research", _("Academic research")
    PRODUCT_DEVELOPMENT = "product_development", _("Product development")
    FACE_RECOGNITION = "face_recognition", _("Face recognition")
    OTHER = "other", _("Other")


class Cart(models.Model):
    """A buyer's cart; one per user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart of user {self.user_id}"


class CartLine(models.Model):
    """A dataset edition in a cart, with the version that was current when it was added."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="+")
    edition = models.CharField(
        _("edition"), max_length=20, choices=[("unedited", _("Unedited")), ("annotated", _("Annotated"))]
    )
    version = models.ForeignKey("catalog.DatasetVersion", on_delete=models.PROTECT, related_name="+")
    # The organisation's paid unedited line of the same version: the annotated edition is then
    # an upgrade, priced at the difference (re-checked when the order is placed).
    upgrade_from = models.ForeignKey(
        "licensing.OrderLine", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cart", "dataset", "edition"], name="cart_line_unique")]

    def __str__(self) -> str:
        return f"dataset {self.dataset_id} v{self.version_id} ({self.edition}) in cart {self.cart_id}"


class Order(models.Model):
    """A buyer organisation's purchase under a licence. Prices, billing details and the
    accepted licence are copied when it is placed, so later changes never alter it."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined")
        REFUNDED = "refunded", _("Refunded")

    class PaymentMethod(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer (invoice)")
        CARD = "card", _("Card (Stripe)")
        DEMO_CARD = "demo_card", _("Demo card (test payments only)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("order number"), max_length=20, unique=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="orders")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    # Changed only through licensing.commerce.states.order_transition (the allowed moves).
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    idempotency_key = models.CharField(max_length=100)
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    # Billing details as they were when the order was placed.
    billing_name = models.CharField(_("billing name"), max_length=200)
    billing_address = models.TextField(_("billing address"), max_length=1000)
    billing_country = models.CharField(_("country"), max_length=2)
    billing_registration_number = models.CharField(_("registration number"), max_length=14, blank=True)
    intended_use = models.CharField(_("intended use"), max_length=30, choices=IntendedUse.choices)
    intended_use_detail = models.TextField(_("intended use, in your words"), max_length=2000)
    # The licence accepted: which text, when, by whom, from where.
    licence = models.ForeignKey(LicenceTerms, on_delete=models.PROTECT, related_name="orders")
    licence_accepted_at = models.DateTimeField()
    licence_accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    total = models.PositiveBigIntegerField(_("total (yen, tax included)"))
    tax = models.PositiveBigIntegerField(_("consumption tax included (yen)"))
    payment_due = models.DateField(_("payment deadline"), null=True, blank=True)
    decision_note = models.TextField(_("approval note"), blank=True, max_length=2000)
    # The quotation the order was placed from (its prices and lines), if any.
    quotation = models.ForeignKey(
        "Quotation", on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("quotation")
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["placed_by", "idempotency_key"], name="order_idempotency_unique"),
            models.CheckConstraint(condition=models.Q(tax__lte=models.F("total")), name="order_tax_within_total"),
        ]
        indexes = [models.Index(fields=["organisation", "-placed_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """One dataset edition of an order: the exact frozen version and the price paid."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("catalog.DatasetVersion", on_delete=models.PROTECT, related_name="order_lines")
    edition = models.CharField(
        _("edition"), max_length=20, choices=[("unedited", _("Unedited")), ("annotated", _("Annotated"))]
    )
    title = models.CharField(_("item"), max_length=300)
    price = models.PositiveBigIntegerField(_("price (yen, tax included)"))
    restricted = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # Set on an annotated line bought as an upgrade of this unedited line (price = the difference).
    upgrade_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="upgrades", verbose_name=_("upgrade of")
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gt=0), name="order_line_price_positive")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.title}"


class OrderEvent(models.Model):
    """The order's status history: every change, who made it and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.from_status or '(new)'} → {self.to_status}"


class NumberSequence(models.Model):
    """Gapless counters (order numbers, invoice numbers) per kind and year, taken under a row lock."""

    kind = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Payment(models.Model):
    """Money received (or refunded) for an order, through one provider."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20, choices=Order.PaymentMethod.choices)
    reference = models.CharField(max_length=200, blank=True, help_text=_("Provider's id, bank statement line, ..."))
    amount = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # A card payment's brand and last four digits, as the provider reported them (for the receipt).
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card's last four digits"), max_length=4, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], condition=~models.Q(reference=""), name="payment_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} ¥{self.amount:,} for order {self.order_id} ({self.status})"


class WebhookEvent(models.Model):
    """A provider event processed once, by its id (Stripe retries and replays)."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class Invoice(AppendOnlyModel):
    """A qualified invoice (or credit note): numbered without gaps, written complete with its PDF,
    never changed after issue."""

    append_only_instead = "issue a credit note instead"

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    issued_at = models.DateTimeField()
    issuer_registration_number = models.CharField(max_length=14)
    # The issuer as it was at issue (stockdata.company), so the page reads like the stored PDF.
    issuer = models.JSONField(default=dict, help_text=_("Names, address and contacts of the issuer at issue"))
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.TextField(max_length=1000)
    buyer_registration_number = models.CharField(max_length=14, blank=True)
    lines = models.JSONField()
    totals = models.JSONField(help_text=_("Per tax rate: total, tax, net"))
    total = models.BigIntegerField()
    tax = models.BigIntegerField()
    pdf = models.FileField(max_length=300, blank=True)
    credits = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes")

    class Meta:
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return self.number


class Quotation(AppendOnlyModel):
    """A quotation (見積書) for the lines of a buyer's cart: numbered, priced and taxed as the
    invoice would be, valid for ``QUOTATION_VALID_DAYS``; an order placed from it within that
    time gets exactly these lines at these prices. Never changed after issue."""

    append_only_instead = "issue a new quotation instead"

    number = models.CharField(_("number"), max_length=20, unique=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="quotations")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotations")
    requested_by_email = models.EmailField(max_length=254)
    issued_at = models.DateTimeField()
    valid_until = models.DateField(_("valid until"))
    issuer_registration_number = models.CharField(max_length=14)
    issuer = models.JSONField(default=dict)
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.TextField(max_length=1000)
    buyer_registration_number = models.CharField(max_length=14, blank=True)
    # Each line: dataset and version ids, edition, title, amount, rate, tax share, net.
    lines = models.JSONField()
    totals = models.JSONField()
    total = models.BigIntegerField()
    tax = models.BigIntegerField()
    pdf = models.FileField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        indexes = [models.Index(fields=["organisation", "-issued_at"])]

    def __str__(self) -> str:
        return self.number


class Receipt(AppendOnlyModel):
    """A receipt (領収書) for the payment of an order: one per order, numbered without gaps,
    naming how it was paid (a card's brand). Never changed after issue."""

    append_only_instead = "a receipt is issued once per payment"

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="receipt")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    received_at = models.DateTimeField()
    issuer_registration_number = models.CharField(max_length=14)
    issuer = models.JSONField(default=dict)
    buyer_name = models.CharField(max_length=200)
    invoice_number = models.CharField(max_length=20, blank=True)
    payment_description = models.CharField(max_length=200)
    lines = models.JSONField()
    totals = models.JSONField()
    amount = models.BigIntegerField()
    tax = models.BigIntegerField()
    pdf = models.FileField(max_length=300, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number


class DatasetRequest(models.Model):
    """A buyer's request for a dataset made to order: who must be in the photos, the consent
    every person must give, how many, by when, for how much. Staff offer a price and a date (or
    decline with a reason); the buyer accepts the offer as a quotation. An offered or accepted
    request is a mission on the contributor portal."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        OFFERED = "offered", _("Offer made")
        DECLINED = "declined", _("Declined")
        ACCEPTED = "accepted", _("Offer accepted")

    class Presence(models.TextChoices):
        ANY = "", _("Either")
        YES = "yes", _("Yes")
        NO = "no", _("No")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="dataset_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    age_bands = models.JSONField(_("age bands"), default=list, blank=True)
    genders = models.JSONField(_("genders"), default=list, blank=True)
    mask = models.CharField(_("masks"), max_length=3, choices=Presence.choices, blank=True, default="")
    glasses = models.CharField(_("glasses"), max_length=3, choices=Presence.choices, blank=True, default="")
    angles = models.JSONField(_("angles"), default=list, blank=True)
    lighting = models.JSONField(_("lighting"), default=list, blank=True)
    setting = models.CharField(_("setting"), max_length=200, blank=True, help_text=_("e.g. office, street, home"))
    required_scopes = models.JSONField(_("consent every person must give"), default=list)
    photo_count = models.PositiveIntegerField(_("number of photos"))
    deadline = models.DateField(_("deadline"))
    budget = models.PositiveBigIntegerField(_("budget (yen, tax included)"))
    annotated = models.BooleanField(_("annotated (every face boxed)"), default=False)
    description = models.TextField(_("what you need it for, anything else"), max_length=4000, blank=True)
    show_buyer_name = models.BooleanField(_("contributors may see our name"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    offer_price = models.PositiveBigIntegerField(_("offer price (yen, tax included)"), null=True, blank=True)
    offer_delivery_on = models.DateField(_("delivery date"), null=True, blank=True)
    bonus_per_photo = models.PositiveIntegerField(_("contributor bonus per accepted photo (yen)"), default=0)
    exclusive_days = models.PositiveIntegerField(_("exclusive to the buyer for (days)"), default=0)
    decline_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    quotation = models.OneToOneField(
        Quotation, on_delete=models.PROTECT, null=True, blank=True, related_name="dataset_request"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The dataset staff froze from the mission's photos, which the organisation buys; when a line of
    # it is paid, the mission's bonuses are paid (``contributors.services.mission_bonuses_record``).
    dataset = models.ForeignKey(
        "catalog.Dataset", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dataset")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dataset request")
        verbose_name_plural = _("dataset requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(photo_count__gte=1), name="dataset_request_count_positive"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["offered", "accepted"])
                | models.Q(offer_price__gt=0, offer_delivery_on__isnull=False),
                name="dataset_request_offer_priced",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_mission(self) -> bool:
        return self.status in (self.Status.OFFERED, self.Status.ACCEPTED)

    def _labels(self, choices, values) -> list[str]:
        names = dict(choices)
        return [str(names.get(value, value)) for value in values]

    @property
    def age_band_labels(self) -> list[str]:
        from catalog.models import AgeBand

        return self._labels(AgeBand.choices, self.age_bands)

    @property
    def gender_labels(self) -> list[str]:
        from catalog.models import Gender

        return self._labels(Gender.choices, self.genders)

    @property
    def angle_labels(self) -> list[str]:
        from catalog.models import Angle

        return self._labels(Angle.choices, self.angles)

    @property
    def lighting_labels(self) -> list[str]:
        from catalog.models import Lighting

        return self._labels(Lighting.choices, self.lighting)


class MissionPhoto(models.Model):
    """A contributor's photo entered for a mission (a dataset request on the portal). It counts
    toward the mission only while approved and consented for the request's scopes
    (``selectors.mission_progress``)."""

    request = models.ForeignKey(DatasetRequest, on_delete=models.PROTECT, related_name="mission_photos")
    photo = models.ForeignKey("catalog.Photo", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "photo"], name="mission_photo_once")]

    def __str__(self) -> str:
        return f"{self.photo_id} → {self.request_id}"
