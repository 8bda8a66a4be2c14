"""Guess a request's category from its free text, with a confidence.

TF-IDF cosine similarity between the text and each service's name, description and
keywords. Below the confidence threshold the guess is not trusted and the request goes
to `general` for triage by staff. No labelled resident texts were available to train on;
`bench/category_inference.py` measures this on held-out public data.
"""
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

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
        # Both sides are l2-normalised, so their cosine similarity is their dot product.
        scores = (tf_idf(self.vectorizer, [text]) @ self.matrix.T).toarray()[0]
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


def tf_idf(vectorizer: TfidfVectorizer, texts: list[str]):
    """What `vectorizer.transform(texts)` gives (with an l2 norm and idf), without
    scikit-learn's checks of its input (is it a dataframe, is it finite), which took a
    third of a learned model's guess and most of the keyword guesser's."""
    if vectorizer.norm != "l2" or not vectorizer.use_idf:
        return vectorizer.transform(texts)
    counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
    if vectorizer.sublinear_tf:
        np.log(counts.data, out=counts.data)
        counts.data += 1
    counts.data *= vectorizer.idf_[counts.indices]
    inplace_csr_row_normalize_l2(counts)
    return counts
