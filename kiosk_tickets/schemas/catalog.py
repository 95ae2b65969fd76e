"""Catalog shapes: categories, tax rules, items with variations, add-ons and bundles, quotas, questions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, validates_schema

from .base import InputSchema, SalesChannelsMixin
from .fields import (
    Boolean,
    Choice,
    Date,
    DateTime,
    DecimalString,
    I18nString,
    IdList,
    Integer,
    JSONObject,
    List,
    Money,
    Nested,
    Raw,
    String,
    StringMap,
)

QUESTION_TYPES = ("N", "S", "T", "B", "C", "M", "F", "D", "H", "W", "CC", "TEL")
AVAILABILITY_MODES = ("hide", "info")


class CategorySchema(InputSchema):
    id = Integer(dump_only=True)
    name = I18nString(required=True, allow_empty=False)
    internal_name = String(load_default="", allow_none=True)
    description = I18nString(load_default=None, allow_none=True, max_length=10000)
    position = Integer(load_default=0, min_value=0)
    is_addon = Boolean(load_default=False)
    cross_selling_mode = Choice(("only", "both"), load_default=None, allow_none=True)
    cross_selling_condition = Choice(("always", "products", "discounts"), load_default=None, allow_none=True)
    cross_selling_match_products = List(Integer(), load_default=list)


class CategoryListQuery(InputSchema):
    is_addon = Boolean()


class TaxRuleSchema(InputSchema):
    id = Integer(dump_only=True)
    name = I18nString(required=True, allow_empty=False)
    internal_name = String(load_default="", allow_none=True)
    rate = DecimalString(required=True, min_value=Decimal(0))
    code = String(load_default=None, allow_none=True, max_length=190)
    price_includes_tax = Boolean(load_default=True)
    default = Boolean(load_default=False)
    eu_reverse_charge = Boolean(load_default=False)
    home_country = String(load_default=None, allow_none=True, max_length=2)
    keep_gross_if_rate_changes = Boolean(load_default=False)
    custom_rules = List(JSONObject(), load_default=None, allow_none=True)


class VariationSchema(SalesChannelsMixin, InputSchema):
    id = Integer(dump_only=True)
    value = I18nString(required=True, allow_empty=False)
    default_price = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    price = Raw(dump_only=True)
    free_price_suggestion = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    original_price = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    active = Boolean(load_default=True)
    description = I18nString(load_default=None, allow_none=True, max_length=10000)
    position = Integer(load_default=0, min_value=0)
    checkin_attention = Boolean(load_default=False)
    checkin_text = String(load_default=None, allow_none=True)
    require_approval = Boolean(load_default=False)
    require_membership = Boolean(load_default=False)
    require_membership_hidden = Boolean(load_default=False)
    require_membership_types = List(Integer(), load_default=list)
    available_from = DateTime(load_default=None, allow_none=True)
    available_from_mode = Choice(AVAILABILITY_MODES, load_default="hide")
    available_until = DateTime(load_default=None, allow_none=True)
    available_until_mode = Choice(AVAILABILITY_MODES, load_default="hide")
    hide_without_voucher = Boolean(load_default=False)
    meta_data = StringMap(load_default=dict)


class VariationListQuery(InputSchema):
    search = String(max_length=200)
    active = Boolean()


class AddOnSchema(InputSchema):
    id = Integer(dump_only=True)
    addon_category = Integer(required=True)
    min_count = Integer(load_default=0, min_value=0)
    max_count = Integer(load_default=1, min_value=0)
    position = Integer(load_default=0, min_value=0)
    multi_allowed = Boolean(load_default=False)
    price_included = Boolean(load_default=False)


class BundleSchema(InputSchema):
    id = Integer(dump_only=True)
    bundled_item = Integer(required=True)
    bundled_variation = Integer(load_default=None, allow_none=True)
    count = Integer(load_default=1, min_value=1)
    designated_price = Money(load_default="0.00", min_value=Decimal(0))


class ProgramTimeSchema(InputSchema):
    id = Integer(dump_only=True)
    start = DateTime(required=True)
    end = DateTime(required=True)


class ItemSchema(SalesChannelsMixin, InputSchema):
    id = Integer(dump_only=True)
    name = I18nString(required=True, allow_empty=False)
    internal_name = String(load_default="", allow_none=True)
    default_price = Money(required=True, min_value=Decimal(0))
    original_price = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    category = Integer(load_default=None, allow_none=True)
    active = Boolean(load_default=True)
    description = I18nString(load_default=None, allow_none=True, max_length=10000)
    free_price = Boolean(load_default=False)
    free_price_suggestion = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    tax_rate = Raw(dump_only=True)
    tax_rule = Integer(load_default=None, allow_none=True)
    admission = Boolean(load_default=False)
    # Not sent (on create and PUT), it follows `admission`; the items service fills it in.
    personalized = Boolean(load_default=None, allow_none=False)
    position = Integer(load_default=0, min_value=0)
    picture = String(load_default=None, allow_none=True)
    available_from = DateTime(load_default=None, allow_none=True)
    available_from_mode = Choice(AVAILABILITY_MODES, load_default="hide")
    available_until = DateTime(load_default=None, allow_none=True)
    available_until_mode = Choice(AVAILABILITY_MODES, load_default="hide")
    hidden_if_available = Integer(load_default=None, allow_none=True)
    hidden_if_item_available = Integer(load_default=None, allow_none=True)
    hidden_if_item_available_mode = Choice(AVAILABILITY_MODES, load_default="hide")
    require_voucher = Boolean(load_default=False)
    hide_without_voucher = Boolean(load_default=False)
    allow_cancel = Boolean(load_default=True)
    min_per_order = Integer(load_default=None, allow_none=True, min_value=0)
    max_per_order = Integer(load_default=None, allow_none=True, min_value=0)
    checkin_attention = Boolean(load_default=False)
    checkin_text = String(load_default=None, allow_none=True)
    require_approval = Boolean(load_default=False)
    require_bundling = Boolean(load_default=False)
    require_membership = Boolean(load_default=False)
    require_membership_hidden = Boolean(load_default=False)
    require_membership_types = List(Integer(), load_default=list)
    grant_membership_type = Integer(load_default=None, allow_none=True)
    grant_membership_duration_like_event = Boolean(load_default=True)
    grant_membership_duration_days = Integer(load_default=0, min_value=0)
    grant_membership_duration_months = Integer(load_default=0, min_value=0)
    validity_mode = Choice(("fixed", "dynamic"), load_default=None, allow_none=True)
    validity_fixed_from = DateTime(load_default=None, allow_none=True)
    validity_fixed_until = DateTime(load_default=None, allow_none=True)
    validity_dynamic_duration_minutes = Integer(load_default=None, allow_none=True, min_value=0)
    validity_dynamic_duration_hours = Integer(load_default=None, allow_none=True, min_value=0)
    validity_dynamic_duration_days = Integer(load_default=None, allow_none=True, min_value=0)
    validity_dynamic_duration_months = Integer(load_default=None, allow_none=True, min_value=0)
    validity_dynamic_start_choice = Boolean(load_default=False)
    validity_dynamic_start_choice_day_limit = Integer(load_default=None, allow_none=True, min_value=0)
    generate_tickets = Boolean(load_default=None, allow_none=True)
    allow_waitinglist = Boolean(load_default=True)
    issue_giftcard = Boolean(load_default=False)
    media_policy = Choice(("new", "reuse", "reuse_or_new"), load_default=None, allow_none=True)
    media_type = String(load_default=None, allow_none=True, max_length=100)
    show_quota_left = Boolean(load_default=None, allow_none=True)
    has_variations = Raw(dump_only=True)
    meta_data = StringMap(load_default=dict)
    variations = Nested(VariationSchema, many=True, load_default=list)
    addons = Nested(AddOnSchema, many=True, load_default=list)
    bundles = Nested(BundleSchema, many=True, load_default=list)
    program_times = Nested(ProgramTimeSchema, many=True, load_default=list)


class ItemUpdateSchema(ItemSchema):
    """Items are updated without their nested parts; those have endpoints of their own."""

    # No default here: a PUT must not reset the program times (stored in the item) to an empty list.
    program_times = Nested(ProgramTimeSchema, many=True)

    @validates_schema(pass_original=True)
    def _no_nested_parts(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        sent = [name for name in ("variations", "addons", "bundles", "program_times") if name in original]
        if sent:
            message = "Updating {} via PATCH/PUT is not supported. Please use the dedicated nested endpoint."
            raise ValidationError({name: [message.format(name.replace("_", " "))] for name in sent})


class ItemListQuery(InputSchema):
    search = String(max_length=200)
    active = Boolean()
    category = Integer()
    admission = Boolean()
    tax_rate = DecimalString()
    free_price = Boolean()


class QuotaSchema(InputSchema):
    id = Integer(dump_only=True)
    name = String(required=True, max_length=200, allow_blank=False)
    size = Integer(load_default=None, allow_none=True, min_value=0)
    items = List(Integer(), load_default=list)
    variations = List(Integer(), load_default=list)
    subevent = Integer(load_default=None, allow_none=True)
    close_when_sold_out = Boolean(load_default=False)
    closed = Boolean(load_default=False)
    release_after_exit = Boolean(load_default=False)
    ignore_for_event_availability = Boolean(load_default=False)
    available = Raw(dump_only=True)
    available_number = Raw(dump_only=True)


class QuotaListQuery(InputSchema):
    subevent = Integer()
    subevent__in = IdList()
    items__in = IdList()
    with_availability = Boolean()


class AvailabilitySchema(Schema):
    available = Raw()
    available_number = Raw()
    total_size = Raw()
    pending_orders = Raw()
    paid_orders = Raw()
    exited_orders = Raw()
    cart_positions = Raw()
    blocking_vouchers = Raw()
    waiting_list = Raw()


class QuestionOptionSchema(InputSchema):
    id = Integer(dump_only=True)
    position = Integer(load_default=0, min_value=0)
    identifier = String(load_default=None, allow_none=True, max_length=190)
    answer = I18nString(required=True, allow_empty=False)


class QuestionSchema(InputSchema):
    id = Integer(dump_only=True)
    question = I18nString(required=True, allow_empty=False, max_length=1000)
    help_text = I18nString(load_default=None, allow_none=True, max_length=10000)
    type = Choice(QUESTION_TYPES, required=True)
    required = Boolean(load_default=False)
    position = Integer(load_default=0, min_value=0)
    items = List(Integer(), load_default=list)
    identifier = String(load_default=None, allow_none=True, max_length=190)
    ask_during_checkin = Boolean(load_default=False)
    show_during_checkin = Boolean(load_default=False)
    hidden = Boolean(load_default=False)
    print_on_invoice = Boolean(load_default=False)
    options = Nested(QuestionOptionSchema, many=True, load_default=list)
    valid_number_min = DecimalString(load_default=None, allow_none=True)
    valid_number_max = DecimalString(load_default=None, allow_none=True)
    valid_date_min = Date(load_default=None, allow_none=True)
    valid_date_max = Date(load_default=None, allow_none=True)
    valid_datetime_min = DateTime(load_default=None, allow_none=True)
    valid_datetime_max = DateTime(load_default=None, allow_none=True)
    valid_file_portrait = Boolean(load_default=False)
    valid_string_length_max = Integer(load_default=None, allow_none=True, min_value=1)
    dependency_question = Integer(load_default=None, allow_none=True)
    dependency_values = List(String(max_length=190), load_default=list)
    dependency_value = String(load_default=None, allow_none=True, max_length=190)


class QuestionListQuery(InputSchema):
    identifier = String(max_length=190)
    ask_during_checkin = Boolean()
    required = Boolean()
