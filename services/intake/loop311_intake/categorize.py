"""Guess a request's category from its free text, with a confidence.

TF-IDF cosine similarity between the text and each service's name, description and
keywords. Below the confidence threshold the guess is not trusted and the request goes
to `general` for triage by staff. No labelled resident texts were available to train on;
`bench/category_inference.py` measures this on held-out public data.
"""
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import service_catalog

TRIAGE = "general"


@dataclass(frozen=True)
class Guess:
    service_code: str
    confidence: float
    trusted: bool


class CategoryGuesser:
    def __init__(self, services: list[tuple[str, str]], threshold: float = 0.2):
        """`services`: (service_code, text describing it)."""
        self.codes = [code for code, _ in services]
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2),
                                          token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                                          stop_words="english")
        self.matrix = self.vectorizer.fit_transform([text for _, text in services])
        self.threshold = threshold

    @classmethod
    def from_catalog(cls, session: Session, threshold: float = 0.2) -> "CategoryGuesser":
        rows = session.execute(select(service_catalog).where(
            service_catalog.c.service_code != TRIAGE)).all()
        return cls([(row.service_code,
                     f"{row.service_name} {row.description} {row.keywords}") for row in rows],
                   threshold)

    def guess(self, text: str) -> Guess:
        scores = cosine_similarity(self.vectorizer.transform([text]), self.matrix)[0]
        best = int(scores.argmax())
        confidence = float(scores[best])
        if confidence < self.threshold:
            return Guess(TRIAGE, confidence, False)
        return Guess(self.codes[best], confidence, True)
