"""The gate that reads a sentence opening with its only speech word ("Published: ...") without cutting its tokens
(``attribution._opens_no_frame``) skips only sentences whose full reading finds no frame and leaves no trace."""

from __future__ import annotations

import pytest

from auditor import attribution
from auditor.attribution import Attributor
from auditor.knowledge import load_table
from auditor.model import Sentence
from auditor.sentences import split_sentences

# Sentences of our own, from many wars, several opening with a speech word.
SENTENCES = [
    "Published: 2024-05-12",
    "published: 2016-01-04",
    "Updated 14 March 2023, reported by our correspondent in Goma.",
    "Reported by Reuters; editing by the desk.",
    "Said Ahmed, 34, was among the 12 wounded in the market in Mogadishu.",
    "Told to leave within hours, 3,000 families fled Rafah on foot.",
    "Claims of 200 dead in Khartoum could not be verified.",
    "Warned of new strikes, residents of Kharkiv left the city.",
    "Citing police, the Daily Trust said 23 villagers were killed in Zamfara.",
    "Quoting a local chief, Radio Okapi said 14 civilians died near Beni.",
    "According to the health ministry, 35 people were killed in Gaza City.",
    "“Said he saw 40 bodies,” a witness in Mariupol recalled.",
    "Added to the toll were 7 soldiers killed in Ghazni, officials said.",
    "Announced on Monday, the curfew in Port-au-Prince followed the killing of 12, police said.",
    "Confirmed: 19 dead after the airstrike on Hodeidah, the Houthi-run health ministry said.",
    "Said-based militia fighters killed 9 in Tigray.",
    "Estimates put the dead at 600 in Sagaing, according to local monitors.",
    "Wrote the UN envoy: at least 1,200 have been displaced from Kidal.",
    "Reported 5said that 12 were killed.",
    "Saying nothing of the 30 dead in Tillaberi, the junta closed the border.",
]


def _frame_sentences() -> list[str]:
    found = list(SENTENCES)
    for frame in load_table("attribution.yaml")["frames"]:
        found += [example["text"] for example in frame["examples"]]
    # every word that may open a frame, opening a sentence with a figure and a speaker after it
    found += [f"{word.capitalize()} 14 people were killed in Maiduguri, police said." for word in
              sorted(attribution._frame_words())]
    found += [f"{word.capitalize()}: 2019-07-01" for word in sorted(attribution._frame_words())]
    return found


def _read(text: str, gated: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """Every frame of the text's sentences and what the attributor remembers after reading them, in order."""
    if not gated:
        monkeypatch.setattr(attribution, "_opens_no_frame", lambda _text: False)
    sentences = split_sentences(text)
    reader = Attributor(text, sentences)
    frames = [reader._read_sentence(s) for s in sentences]
    monkeypatch.undo()
    return frames, reader._persons, reader._last_person, reader._last_thing


@pytest.mark.parametrize("text", _frame_sentences())
def test_the_gate_reads_every_sentence_as_the_full_reading_does(text, monkeypatch):
    assert _read(text, True, monkeypatch) == _read(text, False, monkeypatch)


def test_the_gate_keeps_the_state_later_sentences_read(monkeypatch):
    """A skipped front-matter line between two speakers changes nothing of who "he" is."""
    text = ("Col. Ahmed al-Obeidi said 90 militants were killed in Hit.\nPublished: 2016-01-04\n"
            "He said 12 civilians were wounded.")
    assert _read(text, True, monkeypatch) == _read(text, False, monkeypatch)


@pytest.mark.parametrize("text, skipped", [
    ("Published: 2024-05-12", True),
    ("Said Ahmed was among the wounded in Mogadishu.", True),
    ("According to police, 5 died in Kano.", False),  # the citation credits what follows
    ("Reported by X; police said 4 died.", False),  # a second speech word may open a frame
    ("Reported 5said that 12 were killed.", False),  # a speech word glued to a number: the tokens decide
    (" Published: 2024-05-12", False),  # not at the very start: the tokens decide
])
def test_the_gate_skips_only_a_sentence_whose_one_speech_word_opens_it(text, skipped):
    assert attribution._opens_no_frame(text) is skipped


def test_a_skipped_sentence_is_never_cut_into_tokens():
    cut: list[int] = []

    def tokens_of(sentence: Sentence) -> list:
        cut.append(sentence.start)
        return attribution.tokenize(sentence.text, sentence.start)

    text = "Published: 2024-05-12\nPolice said 4 people were killed in Bamako."
    sentences = split_sentences(text)
    reader = Attributor(text, sentences, tokens_of=tokens_of)
    reader.credit(len(sentences) - 1, text.index("4"))
    assert cut == [s.start for s in sentences if "Police" in s.text]
