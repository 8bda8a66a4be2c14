"""Reporter contact details, normalised: phone numbers in E.164, addresses validated."""
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from loop311_shared.errors import Invalid


def normalised_phone(text: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise Invalid(f"phone {text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(f"phone {text!r} is not a valid number in {default_region} "
                         "(give the country code, like +44, for another country)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised_email(text: str) -> str:
    # Deliverability (DNS) is not checked here: intake must not depend on the network to
    # accept a request; a bounce is notify's business.
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"email {text!r} is not valid: {exc}") from None
