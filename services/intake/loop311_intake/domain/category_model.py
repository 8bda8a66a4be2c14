"""A category model learned from a city's own reports, honest about its confidence.

Word and character n-gram TF-IDF into a class-balanced logistic regression (docs/category_inference.md
says what else was tried and what each scored). Training never looks at the future: the
newest fifth of the examples is held out, the model fitted on the rest is scored there, its
probabilities are calibrated there (one temperature), and the auto-accept threshold is the
lowest confidence at which the held-out guesses above it were still right often enough.
The model is then refitted on every example, keeping that temperature and threshold.
"""
import hashlib
import io
import math
import pickle
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from .categorize import TRIAGE, Guess, tf_idf

HELD_OUT_SHARE = 0.2
MIN_HELD_OUT = 20
AUTO_ACCEPT_ACCURACY = 0.9
MIN_HELD_OUT_FOR_AUTO = 100  # fewer held-out reports cannot back a 90% promise
CONFIDENCE_Z = 1.0  # the bound on held-out accuracy is one standard error below it
SUGGESTIONS = 3
NEVER = 1.01  # a threshold no probability reaches


class TooLittleData(ValueError):
    """The examples cannot train a model (too few, or a single category)."""


@dataclass(frozen=True)
class Example:
    text: str
    service_code: str
    created: datetime | None = None


@dataclass(frozen=True)
class Quality:
    """How a model did on reports it never saw: the newest part of its training data."""

    top1: float
    top3: float
    auto_share: float
    auto_accuracy: float
    held_out: int
    trained_on: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Training:
    model: "CategoryModel"  # fitted on every example
    quality: Quality  # of the trial model, on the held-out newest examples
    trial: "CategoryModel"  # fitted on the older examples only
    held_out: list[Example]


@dataclass(frozen=True)
class Verdict:
    """Whether a new model replaces the one serving: both scored (top-1) on the held-out
    reports the serving one never trained on."""

    promote: bool
    candidate_top1: float
    serving_top1: float | None
    compared_on: int


class CategoryModel:
    def __init__(self, vectorizer, classifier, temperature: float, threshold: float,
                 seen: frozenset[str] = frozenset()):
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.temperature = temperature
        self.threshold = threshold
        self.seen = seen  # digests of the texts it was fitted on

    def best_of(self, texts: list[str]) -> list[str]:
        """Each text's likeliest category, in one pass."""
        return list(self.classifier.classes_[self.probabilities(texts).argmax(axis=1)])

    def features(self, texts: list[str]):
        # The union's parts one by one: FeatureUnion.transform goes through joblib, which
        # costs more than the transforms for one short text.
        return hstack([tf_idf(part, texts) for _, part in self.vectorizer.transformer_list],
                      format="csr")

    def probabilities(self, texts: list[str]) -> np.ndarray:
        # decision_function's arithmetic without its checks of the input (see tf_idf).
        scores = self.features(texts) @ self.classifier.coef_.T + self.classifier.intercept_
        if scores.shape[1] == 1:  # two categories: one score, as decision_function gives
            scores = scores.ravel()
        return softmax(scores / self.temperature)

    def guess(self, text: str, offered: frozenset[str] | None = None) -> Guess:
        """The likeliest category, trusted at or above the threshold; `offered`: the
        categories that may be suggested now (the catalog in force)."""
        probabilities = self.probabilities([text])[0]
        codes = self.classifier.classes_
        ranked = [i for i in np.argsort(-probabilities)
                  if offered is None or codes[i] in offered][:SUGGESTIONS]
        if not ranked:
            return Guess(TRIAGE, 0.0, False)
        suggestions = tuple((str(codes[i]), round(float(probabilities[i]), 3)) for i in ranked)
        best, confidence = suggestions[0][0], float(probabilities[ranked[0]])
        if confidence < self.threshold:
            return Guess(TRIAGE, confidence, False, suggestions)
        return Guess(best, confidence, True, suggestions)

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> "CategoryModel":
        # Only intake's own database holds these: they are written by train() below.
        return pickle.loads(blob)  # noqa: S301


def train(examples: list[Example], progress=lambda step: None) -> Training:
    """Fit on the older part, calibrate and choose the threshold on the newest part, refit
    on everything. `examples` in the order they happened (undated ones keep their order)."""
    ordered = in_time_order(examples)
    if len({example.service_code for example in ordered}) < 2:
        raise TooLittleData("a model needs examples of at least two categories")
    held_out_count = max(MIN_HELD_OUT, int(len(ordered) * HELD_OUT_SHARE))
    if len(ordered) < 2 * held_out_count:
        raise TooLittleData(f"{len(ordered)} examples are too few to train and measure a "
                            f"model (at least {2 * held_out_count})")
    older, newest = ordered[:-held_out_count], ordered[-held_out_count:]
    if len({example.service_code for example in older}) < 2:
        raise TooLittleData("the older examples hold a single category")
    progress(f"fitting on the older {len(older)} examples")
    trial = fit(older)
    progress(f"calibrating on the newest {len(newest)} examples")
    scores = trial.classifier.decision_function(trial.features(
        [example.text for example in newest]))
    truth = np.array([example.service_code for example in newest])
    trial.temperature = fitted_temperature(scores, truth, trial.classifier.classes_)
    probabilities = softmax(scores / trial.temperature)
    trial.threshold = auto_accept_threshold(probabilities, truth, trial.classifier.classes_)
    quality = measure(probabilities, truth, trial.classifier.classes_, trial.threshold,
                      trained_on=len(older))
    progress(f"fitting on all {len(ordered)} examples")
    final = fit(ordered)
    final.temperature, final.threshold = trial.temperature, trial.threshold
    return Training(final, quality, trial, newest)


def challenge(training: Training, serving_best, serving_seen: frozenset[str],
              serving_top1: float | None) -> Verdict:
    """`serving_best(texts)`: the serving guesser's first choices (a model, or the keyword
    guesser of a city with no model yet). Both are scored on the held-out reports the
    serving one never trained on; when it saw them all, each on its own held-out measure
    (`serving_top1`, None for none)."""
    unseen = [example for example in training.held_out
              if digest(example.text) not in serving_seen]
    if not unseen:
        promote = serving_top1 is None or training.quality.top1 >= serving_top1
        return Verdict(promote, training.quality.top1, serving_top1, 0)
    texts = [example.text for example in unseen]
    truth = np.array([example.service_code for example in unseen])
    candidate = float((np.array(training.trial.best_of(texts)) == truth).mean())
    serving = float((np.array(serving_best(texts)) == truth).mean())
    return Verdict(candidate >= serving, round(candidate, 4), round(serving, 4), len(unseen))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def evaluate(model: CategoryModel, examples: list[Example]) -> Quality:
    probabilities = model.probabilities([example.text for example in examples])
    truth = np.array([example.service_code for example in examples])
    return measure(probabilities, truth, model.classifier.classes_, model.threshold,
                   trained_on=0)


def fit(examples: list[Example]) -> CategoryModel:
    vectorizer = make_union(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
        TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2))
    features = vectorizer.fit_transform([example.text for example in examples])
    # Balanced: a category residents rarely use is still worth recognising.
    classifier = LogisticRegression(C=3, max_iter=3000, class_weight="balanced")
    classifier.fit(features, [example.service_code for example in examples])
    return CategoryModel(vectorizer, classifier, 1.0, 1.0,
                         frozenset(digest(example.text) for example in examples))


def in_time_order(examples: list[Example]) -> list[Example]:
    if any(example.created is None for example in examples):
        return list(examples)
    return sorted(examples, key=lambda example: example.created)


def softmax(scores: np.ndarray) -> np.ndarray:
    if scores.ndim == 1:  # two categories: one score, for the second
        scores = np.column_stack([-scores / 2, scores / 2])
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def fitted_temperature(scores: np.ndarray, truth: np.ndarray, classes: np.ndarray) -> float:
    """The temperature that makes held-out probabilities most likely (temperature scaling)."""
    index = {code: i for i, code in enumerate(classes)}
    known = np.array([code in index for code in truth])
    if not known.any():
        return 1.0
    rows = np.flatnonzero(known)
    columns = np.array([index[code] for code in truth[known]])

    def negative_log_likelihood(log_temperature):
        probabilities = softmax(scores[rows] / math.exp(log_temperature))
        return -np.log(probabilities[np.arange(len(rows)), columns] + 1e-12).mean()

    found = minimize_scalar(negative_log_likelihood, bounds=(-3, 3), method="bounded")
    return float(math.exp(found.x))


def auto_accept_threshold(probabilities: np.ndarray, truth: np.ndarray,
                          classes: np.ndarray) -> float:
    """The lowest confidence above which the held-out guesses were right at least
    AUTO_ACCEPT_ACCURACY of the time, counting that accuracy at its Wilson lower bound (a
    few lucky guesses at the top prove little). Above 1 (nothing auto-accepted) when no
    confidence qualifies or too few reports were held out to tell."""
    if len(truth) < MIN_HELD_OUT_FOR_AUTO:
        return NEVER
    confidence = probabilities.max(axis=1)
    right = classes[probabilities.argmax(axis=1)] == truth
    order = np.argsort(-confidence)
    counted = np.arange(1, len(order) + 1)
    accuracy = np.cumsum(right[order]) / counted
    z2 = CONFIDENCE_Z ** 2
    lower = (accuracy + z2 / (2 * counted) - CONFIDENCE_Z * np.sqrt(
        accuracy * (1 - accuracy) / counted + z2 / (4 * counted ** 2))) / (1 + z2 / counted)
    meeting = np.flatnonzero(lower >= AUTO_ACCEPT_ACCURACY)
    if not len(meeting):
        return NEVER
    return float(confidence[order[meeting[-1]]])


def measure(probabilities: np.ndarray, truth: np.ndarray, classes: np.ndarray,
            threshold: float, trained_on: int) -> Quality:
    ranked = np.argsort(-probabilities, axis=1)
    best = classes[ranked[:, 0]]
    top3 = np.array([truth[i] in classes[ranked[i, :SUGGESTIONS]] for i in range(len(truth))])
    auto = probabilities.max(axis=1) >= threshold
    return Quality(top1=round(float((best == truth).mean()), 4),
                   top3=round(float(top3.mean()), 4),
                   auto_share=round(float(auto.mean()), 4),
                   auto_accuracy=round(float((best[auto] == truth[auto]).mean()), 4)
                   if auto.any() else 0.0,
                   held_out=len(truth), trained_on=trained_on)


class LearnedGuesser:
    """A learned model serving, suggesting only categories the catalog in force offers."""

    def __init__(self, model: CategoryModel, offered: frozenset[str], version: int):
        self.model, self.offered, self.version = model, offered, version

    def guess(self, text: str) -> Guess:
        return self.model.guess(text, self.offered)
