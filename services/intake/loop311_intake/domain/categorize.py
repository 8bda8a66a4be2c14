"""Guess a request's category from its free text, with a confidence.

TF-IDF cosine similarity between the text and each service's name, description and
keywords. Below the confidence threshold the guess is not trusted and the request goes
to `general` for triage by staff. No labelled resident texts were available to train on;
`bench/category_inference.py` measures this on held-out public data.
"""
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

TRIAGE = "general"


@dataclass(frozen=True)
class Guess:
    service_code: str
    confidence: float
    trusted: bool
    # The likeliest categories, best first, with their confidence: what triage is shown.
    suggestions: tuple[tuple[str, float], ...] = ()


class CategoryGuesser:
    def __init__(self, services: list[tuple[str, str]], threshold: float = 0.2):
        """`services`: (service_code, text describing it)."""
        self.codes = [code for code, _ in services]
        self.threshold = threshold
        if not services:  # an empty catalog: everything goes to triage
            self.matrix = None
            return
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2),
                                          token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                                          stop_words="english")
        self.matrix = self.vectorizer.fit_transform([text for _, text in services])

    @classmethod
    def from_catalog_document(cls, document: dict, threshold: float = 0.2) -> "CategoryGuesser":
        """Built straight from a catalog configuration document (benchmarks, tests)."""
        return cls([(service["service_code"], describing_text(
            service["service_name"], service["description"], service["keywords"]))
            for service in document["services"] if service["service_code"] != TRIAGE], threshold)

    def guess(self, text: str) -> Guess:
        if self.matrix is None:
            return Guess(TRIAGE, 0.0, False)
        scores = cosine_similarity(self.vectorizer.transform([text]), self.matrix)[0]
        ranked = scores.argsort()[::-1][:3]
        suggestions = tuple((self.codes[i], round(float(scores[i]), 3)) for i in ranked
                            if scores[i] > 0)
        best = int(ranked[0])
        confidence = float(scores[best])
        if confidence < self.threshold:
            return Guess(TRIAGE, confidence, False, suggestions)
        return Guess(self.codes[best], confidence, True, suggestions)


def describing_text(name: str, description: str, keywords: str) -> str:
    """What the guesser compares a report with: a category's name, description, keywords."""
    return f"{name} {description} {keywords}"
