"""A small text classifier (multinomial naive Bayes over words), trained from a zip of folders.

The dataset format of the sandbox's demo service: every top-level folder of the zip is a label,
and its `.txt` files are examples of that label. Pure functions: bytes in, a model out.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

WORD = re.compile(r"[a-z0-9']+")

# The model a call gets with no model id (or the method's default_model_id): a sentiment model.
DEFAULT_EXAMPLES = (
    ("positive", "I love this, it is wonderful"), ("positive", "great service and friendly people"),
    ("positive", "what a happy and lovely day"), ("positive", "this is excellent, thank you"),
    ("positive", "fantastic work, I am delighted"), ("positive", "a bright and beautiful morning"),
    ("negative", "I hate this, it is awful"), ("negative", "terrible service and rude people"),
    ("negative", "what a sad and miserable day"), ("negative", "this is bad, very disappointing"),
    ("negative", "horrible work, I am angry"), ("negative", "a dark and gloomy evening"),
)


class DatasetRejected(Exception):
    """The uploaded data is not a dataset of this service; str() says why."""


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@dataclass(frozen=True)
class TextModel:
    """Per label: how many examples, and how often each word occurs in them."""

    examples: dict[str, int]
    word_counts: dict[str, Counter]

    @property
    def labels(self) -> list[str]:
        return sorted(self.examples)

    def classify(self, text: str) -> tuple[str, float]:
        """The most likely label of `text` and its probability (Laplace-smoothed naive Bayes)."""
        vocabulary = {word for counts in self.word_counts.values() for word in counts}
        total_examples = sum(self.examples.values())
        scores = {}
        for label in self.labels:
            counts = self.word_counts[label]
            size = sum(counts.values()) + len(vocabulary)
            scores[label] = math.log(self.examples[label] / total_examples) + sum(
                math.log((counts[word] + 1) / size) for word in words(text) if word in vocabulary)
        best = max(self.labels, key=lambda label: scores[label])
        # Probabilities from log scores, shifted by the best one so exp() cannot overflow.
        return best, 1 / sum(math.exp(score - scores[best]) for score in scores.values())


def train(examples: Iterable[tuple[str, str]]) -> TextModel:
    """A model of (label, text) examples."""
    counts: dict[str, Counter] = {}
    numbers: Counter = Counter()
    for label, text in examples:
        counts.setdefault(label, Counter()).update(words(text))
        numbers[label] += 1
    return TextModel(dict(numbers), counts)


def default_model() -> TextModel:
    return train(DEFAULT_EXAMPLES)


def examples_from_zip(data: bytes) -> list[tuple[str, str]]:
    """The (label, text) examples of a dataset zip; DatasetRejected when it is not one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetRejected("the upload is not a zip archive") from None
    examples = []
    with archive:
        for entry in archive.infolist():
            parts = entry.filename.split("/")
            if entry.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("."):
                continue
            if len(parts) < 2 or not entry.filename.lower().endswith(".txt"):
                raise DatasetRejected(f"{entry.filename}: every example must be a .txt file inside a label's folder")
            try:
                text = archive.read(entry).decode("utf-8")
            except (UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
                raise DatasetRejected(f"{entry.filename}: cannot read it as UTF-8 text ({exc})") from None
            if words(text):
                examples.append((parts[0], text))
    labels = {label for label, _ in examples}
    if len(labels) < 2:
        raise DatasetRejected(f"a classifier needs examples of at least two labels, found {sorted(labels)}")
    return examples
