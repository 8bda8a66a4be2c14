"""Every environment variable notify reads, parsed once at start (see loop311_shared.settings)."""
from pydantic import Field

from loop311_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    smtp_host: str = Field("127.0.0.1", min_length=1, description="SMTP server that sends the mail")
    smtp_port: int = Field(1025, ge=1, le=65_535, description="Its port")
    smtp_username: str = Field("", description="SMTP login; empty: send without logging in")
    smtp_password: str = Field("", description="SMTP password, with SMTP_USERNAME")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS "
                                                   "(true/false)")
    mail_from: str = Field("Loop311 <no-reply@loop311.local>", min_length=1,
                           description="The From of every email")
    mail_poll_seconds: float = Field(2.0, gt=0, description="How often the mailer looks for due "
                                     "emails (and retries failed ones) besides after each event")
    mail_reply_domain: str = Field("", description="Replies go to request+<id>@this domain, "
                                                   "which intake's email channel turns into "
                                                   "comments; empty: no Reply-To")
    unsubscribe_base_url: str = Field("http://127.0.0.1:8004", description="Where residents "
                                      "reach notify's unsubscribe links (its public address)")
    unsubscribe_secret: str = Field("", description="Signs unsubscribe links; empty: emails go "
                                                    "without an unsubscribe link")
