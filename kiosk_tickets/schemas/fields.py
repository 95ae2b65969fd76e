"""Field types that read and answer like Django REST framework's, as pretix clients expect."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..isotime import format_datetime
from ..services.common import OUT_OF_RANGE, representable

# What marshmallow accepts as a field's error messages.
ErrorMessages = dict[str, str | list[Any] | dict[Any, Any]]

# DRF's wording, which pretix clients show to their users and sometimes match on.
_COMMON_MESSAGES: ErrorMessages = {
    "required": "This field is required.",
    "null": "This field may not be null.",
    "validator_failed": "Invalid value.",
}


def _messages(**extra: str) -> ErrorMessages:
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
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        overflow=OUT_OF_RANGE,
    )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return format_datetime(parse_datetime(value, self))

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


def parse_datetime(value: Any, field: fields.Field | None = None) -> datetime:
    """Return an aware datetime for an ISO 8601 string within the range every time zone can show; raise
    ValidationError otherwise (DRF's words: the format, or "Datetime value out of range.")."""
    if not isinstance(value, str) or len(value) > 40 or "T" not in value.upper() and " " not in value:
        raise field.make_error("invalid") if field else ValidationError("invalid datetime")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise field.make_error("invalid") if field else ValidationError("invalid datetime") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not representable(parsed):
        raise field.make_error("overflow") if field else ValidationError(OUT_OF_RANGE)
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

    def _deserialize(
        self,
        value: Any,
        attr: str | None,
        data: Mapping[str, Any] | None,
        partial: bool | Sequence[str] | AbstractSet[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        if self.many and not isinstance(value, list):
            raise ValidationError(f'Expected a list of items but got type "{type(value).__name__}".')
        if not isinstance(value, dict) and not (self.many and isinstance(value, list)):
            raise ValidationError(f"Invalid data. Expected a dictionary, but got {type(value).__name__}.")
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


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


class NameParts(StringMap):
    """The parts of a person's name ({"given_name": …, "family_name": …}); each part at most 255 characters,
    as pretix stores them. A longer part is named as DRF names a dictionary's entries."""

    MAX_LENGTH = 255

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, str]:
        parts = super()._deserialize(value, attr, data, **kwargs)
        too_long = {
            key: [f"Ensure this field has no more than {self.MAX_LENGTH} characters."]
            for key, text in parts.items()
            if len(text) > self.MAX_LENGTH
        }
        if too_long:
            raise ValidationError(too_long)
        return parts


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
