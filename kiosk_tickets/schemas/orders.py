"""Order shapes: creation, changes, status transitions, output, and the order and position list filters."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from marshmallow import Schema, fields, validate

from ..services.common import OrderStatus
from .base import SALES_CHANNELS, InputSchema
from .carts import PositionInputSchema
from .fields import (
    Boolean,
    Choice,
    Date,
    DateTime,
    Email,
    IdList,
    Integer,
    JSONObject,
    List,
    Money,
    NameParts,
    Nested,
    Raw,
    String,
    StringList,
)

ORDER_STATUSES = tuple(OrderStatus)
PAYMENT_PROVIDERS = ("free", "manual", "cash", "card", "banktransfer")
FEE_TYPES = ("payment", "shipping", "service", "cancellation", "insurance", "late", "other", "giftcard")


class InvoiceAddressSchema(InputSchema):
    last_modified = Raw(dump_only=True)
    is_business = Boolean(load_default=False)
    company = String(load_default="", allow_none=True)
    name = String(load_default=None, allow_none=True)
    name_parts = NameParts(load_default=dict, allow_none=True)
    street = String(load_default="", allow_none=True)
    zipcode = String(load_default="", allow_none=True, max_length=30)
    city = String(load_default="", allow_none=True)
    country = String(load_default="", allow_none=True, max_length=2)
    state = String(load_default="", allow_none=True, max_length=255)
    internal_reference = String(load_default="", allow_none=True)
    custom_field = String(load_default=None, allow_none=True)
    vat_id = String(load_default="", allow_none=True)
    vat_id_validated = Boolean(load_default=False)
    transmission_type = Choice(("email",), load_default="email")
    transmission_info = JSONObject(load_default=None, allow_none=True)


# Signed secrets are base64, so "+", "/" and "=" are ticket characters too; spaces and controls are not.
_SECRET_CHARACTERS = "Use only letters, digits, dots, dashes, underscores, plus signs, slashes and equals signs."


class OrderPositionInputSchema(PositionInputSchema):
    positionid = Integer(load_default=None, allow_none=True, min_value=1)
    addon_to = Integer(load_default=None, allow_none=True, min_value=1)
    secret = String(load_default=None, allow_none=True, max_length=255,
                    validate=validate.Regexp(r"[A-Za-z0-9._+/=-]+\Z", error=_SECRET_CHARACTERS))
    company = String(load_default=None, allow_none=True)
    street = String(load_default=None, allow_none=True)
    zipcode = String(load_default=None, allow_none=True, max_length=30)
    city = String(load_default=None, allow_none=True)
    country = String(load_default=None, allow_none=True, max_length=2)
    state = String(load_default=None, allow_none=True)
    valid_from = DateTime(allow_none=True)
    valid_until = DateTime(allow_none=True)
    requested_valid_from = DateTime(load_default=None, allow_none=True)
    discount = Integer(load_default=None, allow_none=True)


class FeeInputSchema(InputSchema):
    fee_type = Choice(FEE_TYPES, required=True)
    value = Money(required=True)
    description = String(load_default="", allow_none=True)
    internal_type = String(load_default="", allow_none=True)
    tax_rule = Integer(load_default=None, allow_none=True)
    _treat_value_as_percentage = Boolean(load_default=False, data_key="_treat_value_as_percentage")
    _split_taxes_like_products = Boolean(load_default=False, data_key="_split_taxes_like_products")


class OrderCreateSchema(InputSchema):
    code = String(load_default=None, allow_none=True, max_length=16)
    status = Choice((OrderStatus.PENDING, OrderStatus.PAID), load_default=None, allow_none=True)
    customer = String(
        load_default=None, allow_none=True, validate=validate.Equal(None, error="Customer accounts are not supported.")
    )
    testmode = Boolean(load_default=False)
    consume_carts = List(String(max_length=255), load_default=list)
    email = Email(load_default=None, allow_none=True)
    phone = String(load_default=None, allow_none=True, max_length=50)
    locale = String(load_default="en", max_length=32)
    sales_channel = Choice(SALES_CHANNELS, load_default="web")
    payment_provider = Choice(PAYMENT_PROVIDERS, load_default=None, allow_none=True)
    payment_info = JSONObject(load_default=None, allow_none=True)
    payment_date = DateTime(load_default=None, allow_none=True)
    tax_rounding_mode = Choice(("line", "sum_by_net", "sum_by_net_keep_gross"), load_default="line")
    comment = String(load_default="", allow_none=True, max_length=10000)
    custom_followup_at = Date(load_default=None, allow_none=True)
    checkin_attention = Boolean(load_default=False)
    checkin_text = String(load_default=None, allow_none=True)
    require_approval = Boolean(load_default=False)
    valid_if_pending = Boolean(load_default=False)
    expires = DateTime(load_default=None, allow_none=True)
    api_meta = JSONObject(load_default=dict)
    invoice_address = Nested(InvoiceAddressSchema, load_default=None, allow_none=True)
    positions = Nested(OrderPositionInputSchema, many=True, required=True,
                       validate=validate.Length(min=1, error="An order needs at least one position."))
    fees = Nested(FeeInputSchema, many=True, load_default=list)
    force = Boolean(load_default=False)
    send_email = Boolean(load_default=False, allow_none=True)
    simulate = Boolean(load_default=False)
    use_gift_cards = List(
        String(), load_default=list, validate=validate.Length(max=0, error="Gift cards are not supported.")
    )


class OrderUpdateSchema(InputSchema):
    email = Email(allow_none=True)
    phone = String(allow_none=True, max_length=50)
    locale = String(max_length=32)
    comment = String(allow_none=True, max_length=10000)
    custom_followup_at = Date(allow_none=True)
    checkin_attention = Boolean()
    checkin_text = String(allow_none=True)
    valid_if_pending = Boolean()
    api_meta = JSONObject()
    invoice_address = Nested(InvoiceAddressSchema, allow_none=True)


class OrderActionSchema(InputSchema):
    """Options of a status change such as `send_email`: accepted, and none changes what this server does."""


class OrderCancelSchema(InputSchema):
    send_email = Boolean(load_default=True)
    comment = String(load_default=None, allow_none=True)
    cancellation_fee = Money(load_default=None, allow_none=True, min_value=Decimal(0))


class OrderExtendSchema(InputSchema):
    expires = Date(required=True)
    force = Boolean(load_default=False)


class CheckinSchema(Schema):
    id = Raw()
    list = Raw()
    datetime = Raw()
    type = Raw()
    gate = Raw()
    device = Raw()
    device_id = Raw()
    auto_checked_in = Raw()


class OrderPositionSchema(Schema):
    id = Raw()
    order = Raw()
    code = Raw()
    positionid = Raw()
    canceled = Raw()
    item = Raw()
    variation = Raw()
    price = Raw()
    attendee_name = Raw()
    attendee_name_parts = Raw()
    attendee_email = Raw()
    company = Raw()
    street = Raw()
    zipcode = Raw()
    city = Raw()
    country = Raw()
    state = Raw()
    voucher = Raw()
    voucher_budget_use = Raw()
    tax_rate = Raw()
    tax_value = Raw()
    tax_code = Raw()
    tax_rule = Raw()
    secret = Raw()
    addon_to = Raw()
    subevent = Raw()
    discount = Raw()
    blocked = Raw()
    valid_from = Raw()
    valid_until = Raw()
    pseudonymization_id = Raw()
    checkins = fields.List(fields.Nested(CheckinSchema))
    print_logs = Raw()
    downloads = Raw()
    answers = Raw()
    seat = Raw()
    plugin_data = Raw()


class CheckinPositionSchema(OrderPositionSchema):
    """An order position as check-in answers show it: with what a scanner decides on at a glance."""

    require_attention = Raw()
    order__status = Raw()
    order__valid_if_pending = Raw()
    order__require_approval = Raw()
    order__locale = Raw()


class FeeSchema(Schema):
    id = Raw()
    fee_type = Raw()
    value = Raw()
    description = Raw()
    internal_type = Raw()
    tax_rate = Raw()
    tax_value = Raw()
    tax_rule = Raw()
    tax_code = Raw()
    canceled = Raw()


class OrderSchema(Schema):
    code = Raw()
    event = Raw()
    status = Raw()
    testmode = Raw()
    secret = Raw()
    email = Raw()
    phone = Raw()
    customer = Raw()
    locale = Raw()
    sales_channel = Raw()
    datetime = Raw()
    expires = Raw()
    payment_date = Raw()
    payment_provider = Raw()
    payment_fee = Raw()
    payment_fee_tax_rate = Raw()
    payment_fee_tax_value = Raw()
    total = Raw()
    tax_rounding_mode = Raw()
    comment = Raw()
    api_meta = Raw()
    custom_followup_at = Raw()
    checkin_attention = Raw()
    checkin_text = Raw()
    invoice_address = fields.Nested(InvoiceAddressSchema, allow_none=True)
    positions = fields.List(fields.Nested(OrderPositionSchema))
    fees = fields.List(fields.Nested(FeeSchema))
    downloads = Raw()
    require_approval = Raw()
    valid_if_pending = Raw()
    url = Raw()
    payments = Raw()
    refunds = Raw()
    last_modified = Raw()
    cancellation_date = Raw()
    plugin_data = Raw()
    use_gift_cards = Raw()


class OrderListQuery(InputSchema):
    code = String(max_length=64)
    status = String(max_length=8)  # matched in any case; an unknown status matches nothing
    email = String(max_length=254)
    locale = String(max_length=32)
    item = Integer()
    variation = Integer()
    testmode = Boolean()
    require_approval = Boolean()
    sales_channel = String(max_length=64)
    payment_provider = String(max_length=64)
    search = String(max_length=200)
    created_since = fields.AwareDateTime(default_timezone=UTC)
    created_before = fields.AwareDateTime(default_timezone=UTC)
    modified_since = fields.AwareDateTime(default_timezone=UTC)
    include_canceled_positions = Boolean()
    include_canceled_fees = Boolean()


class OrderPositionListQuery(InputSchema):
    order = String(max_length=64)
    item = Integer()
    item__in = IdList()
    variation = Integer()
    variation__in = IdList()
    attendee_name = String(max_length=255)
    secret = String(max_length=255)
    pseudonymization_id = String(max_length=64)
    order__status = String(max_length=8)  # an unknown status matches nothing
    order__status__in = StringList()
    has_checkin = Boolean()
    addon_to = Integer()
    addon_to__in = IdList()
    voucher = Integer()
    voucher__code = String(max_length=255)
    search = String(max_length=200)
    include_canceled_positions = Boolean()
