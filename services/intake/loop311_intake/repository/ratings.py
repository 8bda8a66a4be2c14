"""The one writer of residents' satisfaction ratings."""
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from ..models import ratings


class RatingRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, rating_id: str, request_id: int, contact_ref: str, score: int | None,
               not_fixed: bool, channel: str, rated_at: datetime) -> None:
        """Keep the resident's latest answer for this closing."""
        self.session.execute(delete(ratings).where(ratings.c.rating_id == rating_id))
        self.session.execute(insert(ratings).values(
            rating_id=rating_id, request_id=request_id, contact_ref=contact_ref, score=score,
            not_fixed=not_fixed, channel=channel, rated_at=rated_at))
