"""Marshmallow schemas: pretix field names, input validation with DRF wording, output shapes, error conversion."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .errors import ValidationFailed
from .isotime import format_datetime

SALES_CHANNELS = ("web", "box_office", "pretixpos", "resellers")
QUESTION_TYPES = ("N", "S", "T", "B", "C", "M", "F", "D", "H", "W", "CC", "TEL")
AVAILABILITY_MODES = ("hide", "info")

# DRF's wording, which pretix clients show to their users and sometimes match on.
_COMMON_MESSAGES = {
    "required": "This field is required.",
    "null": "This field may not be null.",
    "validator_failed": "Invalid value.",
}


def _messages(**extra: str) -> dict[str, str]:
    return {**_COMMON_MESSAGES, **extra}


def _validators(kwargs: dict[str, Any]) -> list[Any]:
    given = kwargs.pop("validate", None)
    if given is None:
        return []
    return list(given) if isinstance(given, (list, tuple)) else [given]


class String(fields.String):
    default_error_messages = _messages(invalid="Not a valid string.", blank="This field may not be blank.")

    def __init__(self, *, max_length: int | None = 255, allow_blank: bool = True, **kwargs: Any) -> None:
        validators = _validators(kwargs)
        if max_length is not None:
            validators.append(
                validate.Length(max=max_length, error=f"Ensure this field has no more than {max_length} characters.")
            )
        self.allow_blank = allow_blank
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if not self.allow_blank and not result.strip():
            raise self.make_error("blank")
        return result


class Integer(fields.Integer):
    default_error_messages = _messages(invalid="A valid integer is required.", too_large="A valid integer is required.")

    def __init__(self, *, min_value: int | None = None, max_value: int | None = 2**31 - 1, **kwargs: Any) -> None:
        validators = _validators(kwargs)
        if min_value is not None:
            validators.append(
                validate.Range(min=min_value, error=f"Ensure this value is greater than or equal to {min_value}.")
            )
        if max_value is not None:
            validators.append(
                validate.Range(max=max_value, error=f"Ensure this value is less than or equal to {max_value}.")
            )
        super().__init__(strict=False, validate=validators, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value) > 20:
            raise self.make_error("invalid")
        return super()._validated(value)


class Boolean(fields.Boolean):
    default_error_messages = _messages(invalid="Must be a valid boolean.")


class Email(fields.Email):
    default_error_messages = _messages(invalid="Enter a valid email address.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=254, error="Enter a valid email address."), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        # pretix's email fields may be blank; a blank address is no address.
        if value == "" and self.allow_none:
            return None
        return super()._deserialize(value, attr, data, **kwargs)

    def _validate(self, value: Any) -> None:
        if value is not None:  # a blank address became None: nothing to check
            super()._validate(value)


class Choice(String):
    """A string from a fixed set, answered like DRF's ChoiceField."""

    def __init__(self, choices: tuple[str, ...], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(max_length=None, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            raise ValidationError(f'"{value}" is not a valid choice.')
        return value


class Money(fields.Field):
    """A decimal amount as a string with two places, e.g. "23.42"; numbers are accepted on input."""

    default_error_messages = _messages(invalid="A valid number is required.")

    def __init__(self, *, min_value: Decimal | None = None, **kwargs: Any) -> None:
        self.min_value = min_value
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return format_decimal(parse_decimal(value, self, places=2, min_value=self.min_value), 2)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


class DecimalString(Money):
    """A decimal such as a tax rate, as a string with two places."""


def parse_decimal(value: Any, field: fields.Field, places: int, min_value: Decimal | None = None) -> Decimal:
    """Return `value` as a Decimal with at most `places` places, or raise the field's DRF-style error."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise field.make_error("invalid")
    if isinstance(value, str) and len(value) > 40:
        raise field.make_error("invalid")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise field.make_error("invalid") from None
    if not number.is_finite():
        raise field.make_error("invalid")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValidationError(f"Ensure that there are no more than {places} decimal places.")
    if abs(number) >= Decimal(10) ** 11:
        raise ValidationError("Ensure that there are no more than 13 digits in total.")
    if min_value is not None and number < min_value:
        raise ValidationError(f"Ensure this value is greater than or equal to {min_value}.")
    return number


def format_decimal(number: Decimal, places: int) -> str:
    return f"{number:.{places}f}"


class DateTime(fields.Field):
    """An ISO 8601 datetime; stored and answered in UTC with a Z suffix. A naive value is taken as UTC."""

    default_error_messages = _messages(
        invalid="Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
    )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return format_datetime(parse_datetime(value, self))

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


def parse_datetime(value: Any, field: fields.Field | None = None) -> datetime:
    """Return an aware datetime for an ISO 8601 string; raise ValidationError otherwise."""
    if not isinstance(value, str) or len(value) > 40 or "T" not in value.upper() and " " not in value:
        raise field.make_error("invalid") if field else ValidationError("invalid datetime")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise field.make_error("invalid") if field else ValidationError("invalid datetime") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


class Date(fields.Field):
    default_error_messages = _messages(invalid="Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or len(value) > 10:
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise self.make_error("invalid") from None

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class I18nString(fields.Field):
    """A multi-lingual string {"en": "…", "de": "…"}; a plain string is taken as English."""

    default_error_messages = _messages(invalid="Invalid data type.")

    def __init__(self, *, max_length: int = 200, allow_empty: bool = True, **kwargs: Any) -> None:
        self.max_length = max_length
        self.allow_empty = allow_empty
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, str]:
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict) or len(value) > 50:
            raise self.make_error("invalid")
        result = {}
        for locale, text in value.items():
            if not isinstance(locale, str) or not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", locale):
                raise ValidationError(f'"{locale}" is not a supported language.')
            if text is None:
                continue
            if not isinstance(text, str):
                raise self.make_error("invalid")
            if len(text) > self.max_length:
                raise ValidationError(f"Ensure this field has no more than {self.max_length} characters.")
            result[locale] = text
        if not self.allow_empty and not any(text.strip() for text in result.values()):
            raise ValidationError("This field may not be blank.")
        return result

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class List(fields.List):
    default_error_messages = _messages(invalid='Expected a list of items but got type "{input_type}".')

    def __init__(self, inner: fields.Field, *, max_items: int = 1000, **kwargs: Any) -> None:
        self.max_items = max_items
        super().__init__(inner, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(f'Expected a list of items but got type "{type(value).__name__}".')
        if len(value) > self.max_items:
            raise ValidationError(f"Ensure this field has no more than {self.max_items} elements.")
        return super()._deserialize(value, attr, data, **kwargs)


class Nested(fields.Nested):
    default_error_messages = _messages(type="Invalid data. Expected a dictionary, but got {input_type}.")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if self.many and not isinstance(value, list):
            raise ValidationError(f'Expected a list of items but got type "{type(value).__name__}".')
        if not isinstance(value, dict) and not (self.many and isinstance(value, list)):
            raise ValidationError(f"Invalid data. Expected a dictionary, but got {type(value).__name__}.")
        return super()._deserialize(value, attr, data, **kwargs)


class StringMap(fields.Field):
    """An object of string keys to string values (meta data)."""

    default_error_messages = _messages(invalid='Expected a dictionary of items but got type "{input_type}".')

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, str]:
        if not isinstance(value, dict) or len(value) > 100:
            raise ValidationError(f'Expected a dictionary of items but got type "{type(value).__name__}".')
        for key, text in value.items():
            if not isinstance(text, str) or len(key) > 50 or len(text) > 2000:
                raise ValidationError("Meta data keys and values must be strings.")
        return dict(value)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value if value is not None else {}


class JSONObject(fields.Field):
    """Any JSON object, kept as given (used for data we store but do not interpret)."""

    default_error_messages = _messages(invalid='Expected a dictionary of items but got type "{input_type}".')

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(f'Expected a dictionary of items but got type "{type(value).__name__}".')
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class Raw(fields.Raw):
    """A read-only value passed through as computed."""


# ---------------------------------------------------------------------------------------- base schema


class InputSchema(Schema):
    """Base of every schema: unknown fields are ignored, as pretix does."""

    class Meta:
        unknown = EXCLUDE


@functools.cache
def instance(schema_class: type[Schema], exclude: tuple[str, ...] = ()) -> Schema:
    """Return a shared instance of `schema_class`: building one deep-copies every field, and loading or
    dumping keeps no state on the instance, so one serves every request."""
    return schema_class(exclude=exclude)


def load(schema: Schema, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Validate `data` with `schema`; return the loaded dict or raise ValidationFailed with a DRF-style body."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
        )
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        raise ValidationFailed(drf_errors(error.messages, data)) from None


def drf_errors(messages: Any, data: Any = None) -> Any:
    """Turn marshmallow's error messages into DRF's shape.

    `_schema` becomes `non_field_errors`; errors of a nested list, which marshmallow keys by index,
    become a list with `{}` for the valid entries, as DRF and pretix clients expect.
    """
    if isinstance(messages, list):
        return messages
    if not isinstance(messages, dict):
        return [str(messages)]
    if messages and all(isinstance(key, int) for key in messages):
        if all(isinstance(value, dict) for value in messages.values()):
            length = len(data) if isinstance(data, list) else max(messages) + 1
            return [
                drf_errors(messages[index], data[index] if isinstance(data, list) else None)
                if index in messages
                else {}
                for index in range(length)
            ]
        return {str(index): drf_errors(value) for index, value in messages.items()}
    result = {}
    for key, value in messages.items():
        name = "non_field_errors" if key == "_schema" else key
        nested_data = data.get(key) if isinstance(data, dict) else None
        result[name] = drf_errors(value, nested_data)
    return result


def _sales_channel_list() -> List:
    return List(Choice(SALES_CHANNELS), load_default=list)


def _legacy_sales_channels(obj: Mapping[str, Any]) -> list[str]:
    return list(SALES_CHANNELS) if obj.get("all_sales_channels", True) else list(obj.get("limit_sales_channels") or [])


class SalesChannelsMixin(Schema):
    all_sales_channels = Boolean(load_default=True)
    limit_sales_channels = _sales_channel_list()
    # Deprecated in pretix, still read by older clients: the channels in effect.
    sales_channels = fields.Function(_legacy_sales_channels, dump_only=True)


# ---------------------------------------------------------------------------------------- organizers, events


class OrganizerSchema(InputSchema):
    name = String(dump_only=True)
    slug = String(dump_only=True)
    public_url = Raw(dump_only=True)
    plugins = Raw(dump_only=True)


SLUG = validate.Regexp(
    r"^[a-zA-Z0-9][a-zA-Z0-9.-]*$",
    error="The slug may only contain letters, numbers, dots and dashes.",
)


@functools.cache
def _available_timezones() -> frozenset[str]:
    """The zone names, read once: listing them walks the whole tz database on disk."""
    return frozenset(zoneinfo.available_timezones())


class EventSchema(SalesChannelsMixin, InputSchema):
    name = I18nString(required=True, allow_empty=False)
    slug = String(required=True, max_length=50, validate=[SLUG])
    live = Boolean(load_default=False)
    testmode = Boolean(load_default=False)
    currency = String(load_default="EUR", max_length=3, validate=validate.Regexp(r"^[A-Z]{3}$", error="Enter a valid ISO 4217 currency code."))
    date_from = DateTime(required=True)
    date_to = DateTime(load_default=None, allow_none=True)
    date_admission = DateTime(load_default=None, allow_none=True)
    is_public = Boolean(load_default=True)
    presale_start = DateTime(load_default=None, allow_none=True)
    presale_end = DateTime(load_default=None, allow_none=True)
    location = I18nString(load_default=None, allow_none=True, max_length=1000)
    geo_lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90), error_messages={"invalid": "A valid number is required."})
    geo_lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180), error_messages={"invalid": "A valid number is required."})
    has_subevents = Boolean(load_default=False)
    meta_data = StringMap(load_default=dict)
    plugins = List(String(max_length=100), load_default=list, max_items=100)
    seating_plan = Integer(load_default=None, allow_none=True)
    seat_category_mapping = JSONObject(load_default=dict)
    timezone = String(load_default="UTC", max_length=100)
    item_meta_properties = StringMap(load_default=dict)
    valid_keys = Raw(dump_only=True)
    public_url = Raw(dump_only=True)

    @validates_schema
    def _check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if "timezone" in data and data["timezone"] not in _available_timezones():
            raise ValidationError({"timezone": [f'"{data["timezone"]}" is not a valid choice.']})


class EventSettingsSchema(InputSchema):
    """The event settings this server acts on; null resets one to the server's default."""

    reservation_time = Integer(
        allow_none=True, min_value=1, max_value=7 * 24 * 60,
        metadata={"label": "Reservation period", "help_text": "Minutes a cart position holds its quota."},
    )
    payment_term_days = Integer(
        allow_none=True, min_value=0, max_value=1000,
        metadata={"label": "Payment term in days", "help_text": "Days a pending order has to be paid before it expires."},
    )


def explained(schema: Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings in pretix's verbose form: value, label, readonly and help text of each."""
    return {
        name: {
            "value": values.get(name),
            "label": field.metadata.get("label", name),
            "readonly": field.dump_only,
            "help_text": field.metadata.get("help_text", ""),
        }
        for name, field in schema.fields.items()
    }


class ExplainQuery(InputSchema):
    explain = Boolean()


class EventListQuery(InputSchema):
    is_public = Boolean()
    live = Boolean()
    testmode = Boolean()
    has_subevents = Boolean()
    is_future = Boolean()
    is_past = Boolean()
    date_from_after = DateTime()
    date_from_before = DateTime()
    date_to_after = DateTime()
    date_to_before = DateTime()
    ends_after = DateTime()
    search = String(max_length=200)
    sales_channel = String(max_length=100)


# ---------------------------------------------------------------------------------------- catalog


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


class IdList(fields.Field):
    """A comma-separated list of ids in a query string, e.g. `items__in=1,2`."""

    default_error_messages = _messages(invalid="Enter a comma-separated list of whole numbers.")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[int]:
        if not isinstance(value, str) or len(value) > 2000:
            raise self.make_error("invalid")
        try:
            return [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise self.make_error("invalid") from None


class StringList(fields.Field):
    """A comma-separated list of strings in a query string, e.g. `order__status__in=n,p`."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, str) or len(value) > 2000:
            raise ValidationError("Enter a comma-separated list.")
        return [part.strip() for part in value.split(",") if part.strip()]


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


class VoucherSchema(InputSchema):
    id = Integer(dump_only=True)
    created = Raw(dump_only=True)
    code = String(
        load_default=None,
        max_length=255,
        validate=validate.Regexp(r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]{4,}$", error="Voucher codes need at least 5 characters "
                                 "and may only contain letters, numbers, dots, dashes and underscores."),
    )
    max_usages = Integer(load_default=1, min_value=1)
    redeemed = Raw(dump_only=True)
    min_usages = Integer(load_default=1, min_value=1)
    valid_until = DateTime(load_default=None, allow_none=True)
    block_quota = Boolean(load_default=False)
    allow_ignore_quota = Boolean(load_default=False)
    price_mode = Choice(("none", "set", "subtract", "percent"), load_default="none")
    value = Money(load_default="0.00", min_value=Decimal(0))
    item = Integer(load_default=None, allow_none=True)
    variation = Integer(load_default=None, allow_none=True)
    quota = Integer(load_default=None, allow_none=True)
    seat = String(load_default=None, allow_none=True)
    tag = String(load_default="", allow_none=True)
    comment = String(load_default="", allow_none=True, max_length=10000)
    subevent = Integer(load_default=None, allow_none=True)
    show_hidden_items = Boolean(load_default=True)
    all_addons_included = Boolean(load_default=False)
    all_bundles_included = Boolean(load_default=False)
    budget = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    budget_used = Raw(dump_only=True)


class VoucherListQuery(InputSchema):
    code = String(max_length=255)
    max_usages = Integer()
    redeemed = Integer()
    block_quota = Boolean()
    allow_ignore_quota = Boolean()
    price_mode = String(max_length=20)
    value = DecimalString()
    item = Integer()
    variation = Integer()
    quota = Integer()
    tag = String(max_length=255)
    subevent = Integer()
    search = String(max_length=255)


# ---------------------------------------------------------------------------------------- carts


class AnswerSchema(InputSchema):
    question = Integer(required=True)
    answer = String(load_default="", allow_none=True, max_length=10000)
    question_identifier = Raw(dump_only=True)
    options = List(Integer(), load_default=list, max_items=100)
    option_identifiers = Raw(dump_only=True)


class PositionInputSchema(InputSchema):
    """What a position in a request may say: the fields shared by carts and orders, and by nested positions."""

    item = Integer(required=True)
    variation = Integer(load_default=None, allow_none=True)
    price = Money(load_default=None, allow_none=True, min_value=Decimal(0))
    seat = String(load_default=None, allow_none=True, max_length=190)
    attendee_name = String(load_default=None, allow_none=True)
    attendee_name_parts = StringMap(load_default=dict, allow_none=True)
    attendee_email = Email(load_default=None, allow_none=True)
    subevent = Integer(load_default=None, allow_none=True)
    voucher = String(load_default=None, allow_none=True)
    answers = Nested(AnswerSchema, many=True, load_default=list)


class CartPositionCreateSchema(PositionInputSchema):
    cart_id = String(load_default=None, allow_none=True)
    expires = DateTime(load_default=None, allow_none=True)
    # Deprecated in pretix and without effect: prices are always gross here.
    includes_tax = Boolean(load_default=True)
    sales_channel = Choice(SALES_CHANNELS, load_default="web")
    addons = Nested(PositionInputSchema, many=True, load_default=list)
    bundled = Nested(PositionInputSchema, many=True, load_default=list)


class CartPositionSchema(Schema):
    id = Raw()
    cart_id = Raw()
    datetime = Raw()
    expires = Raw()
    item = Raw()
    variation = Raw()
    price = Raw()
    attendee_name = Raw()
    attendee_name_parts = Raw()
    attendee_email = Raw()
    voucher = Raw()
    addon_to = Raw()
    is_bundled = Raw()
    subevent = Raw()
    answers = Raw()
    seat = Raw()
    includes_tax = Raw()


class CartPositionCreatedSchema(CartPositionSchema):
    addons = fields.List(fields.Nested(CartPositionSchema))
    bundled = fields.List(fields.Nested(CartPositionSchema))


# ---------------------------------------------------------------------------------------- orders

ORDER_STATUSES = ("n", "p", "e", "c")
PAYMENT_PROVIDERS = ("free", "manual", "cash", "card", "banktransfer")
FEE_TYPES = ("payment", "shipping", "service", "cancellation", "insurance", "late", "other", "giftcard")


class InvoiceAddressSchema(InputSchema):
    last_modified = Raw(dump_only=True)
    is_business = Boolean(load_default=False)
    company = String(load_default="", allow_none=True)
    name = String(load_default=None, allow_none=True)
    name_parts = StringMap(load_default=dict, allow_none=True)
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


class OrderPositionInputSchema(PositionInputSchema):
    positionid = Integer(load_default=None, allow_none=True, min_value=1)
    addon_to = Integer(load_default=None, allow_none=True, min_value=1)
    secret = String(load_default=None, allow_none=True, max_length=255,
                    validate=validate.Regexp(r"^[A-Za-z0-9._-]+$", error="Use only letters, digits, dots, dashes and underscores."))
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
    status = Choice(("n", "p"), load_default=None, allow_none=True)
    customer = String(load_default=None, allow_none=True, validate=validate.Equal(None, error="Customer accounts are not supported."))
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
    use_gift_cards = List(String(), load_default=list, validate=validate.Length(max=0, error="Gift cards are not supported."))


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
    created_since = fields.AwareDateTime(default_timezone=timezone.utc)
    created_before = fields.AwareDateTime(default_timezone=timezone.utc)
    modified_since = fields.AwareDateTime(default_timezone=timezone.utc)
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


# ---------------------------------------------------------------------------------------- check-in


class CheckinListSchema(InputSchema):
    id = Integer(dump_only=True)
    name = String(required=True, max_length=190, allow_blank=False)
    all_products = Boolean(load_default=True)
    limit_products = List(Integer(), load_default=list)
    subevent = Integer(load_default=None, allow_none=True)
    position_count = Raw(dump_only=True)
    checkin_count = Raw(dump_only=True)
    include_pending = Boolean(load_default=False)
    allow_multiple_entries = Boolean(load_default=False)
    allow_entry_after_exit = Boolean(load_default=True)
    rules = JSONObject(load_default=dict)
    exit_all_at = DateTime(load_default=None, allow_none=True)
    addon_match = Boolean(load_default=False)
    ignore_in_statistics = Boolean(load_default=False)
    consider_tickets_used = Boolean(load_default=True)


class RedeemSchema(InputSchema):
    """A scan sent to the check-in RPC (`lists`) or to a list's legacy redeem URL (no `lists`)."""

    secret = String(max_length=2000)
    lists = List(Integer(), max_items=50)
    source_type = Choice(("barcode", "nfc_uid"), load_default="barcode")
    type = Choice(("entry", "exit"), load_default="entry")
    datetime = DateTime(load_default=None, allow_none=True)
    force = Boolean(load_default=False)
    ignore_unpaid = Boolean(load_default=False)
    questions_supported = Boolean(load_default=True)
    canceled_supported = Boolean(load_default=True)
    nonce = String(load_default=None, allow_none=True, max_length=190)
    answers = StringMap(load_default=dict)
    use_order_locale = Boolean(load_default=False)


class RedeemRpcSchema(RedeemSchema):
    """A scan sent to the check-in RPC: it names the secret and the lists to search."""

    secret = String(required=True, max_length=2000)
    lists = List(Integer(), required=True, max_items=50)


class UntrustedInputQuery(InputSchema):
    untrusted_input = Boolean()


class CheckinSearchQuery(OrderPositionListQuery):
    ignore_status = Boolean()


class CheckinSearchBodySchema(CheckinSearchQuery):
    """The check-in search's parameters sent as a JSON body."""

    lists = List(Integer(), required=True, max_items=50)
    ordering = String(max_length=100)


class CheckinHistorySchema(Schema):
    id = Raw()
    successful = Raw()
    error_reason = Raw()
    error_explanation = Raw()
    position = Raw()
    datetime = Raw()
    created = Raw()
    list = Raw()
    auto_checked_in = Raw()
    gate = Raw()
    device = Raw()
    device_id = Raw()
    type = Raw()


class CheckinHistoryQuery(InputSchema):
    created_since = fields.AwareDateTime(default_timezone=timezone.utc)
    created_before = fields.AwareDateTime(default_timezone=timezone.utc)
    datetime_since = fields.AwareDateTime(default_timezone=timezone.utc)
    datetime_before = fields.AwareDateTime(default_timezone=timezone.utc)
    successful = Boolean()
    error_reason = String(max_length=64)
    list = Integer()
    type = Choice(("entry", "exit"))
    gate = Integer()
    device = Integer()
    auto_checked_in = Boolean()


# ---------------------------------------------------------------------------------------- pagination


class PageQuery(InputSchema):
    page = Integer(load_default=1, min_value=1)
    page_size = Integer(load_default=None, allow_none=True, min_value=1)
    ordering = String(load_default=None, allow_none=True, max_length=100)
