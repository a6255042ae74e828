"""How numbers and untrusted text look: three figures, no bidi tricks, an ellipsis when cut."""

from __future__ import annotations

import pytest

from trendmon.dashboard import formatting as fmt


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1.00K"),
        (12_345, "12.3K"),
        (999_999, "1.00M"),
        (1_520_000, "1.52M"),
        (2.5, "2.5"),
        (-1500, "-1.50K"),
        (None, "–"),
    ],
)
def test_compact_counts_have_three_figures(value: float | None, shown: str) -> None:
    assert fmt.compact(value) == shown


def test_rounded_counts_are_never_shown_exactly() -> None:
    assert fmt.count(1_520_000, rounded=True) == "≈1.52M"
    assert fmt.count(1_520_000, rounded=False) == "1,520,000"
    assert fmt.count(950, rounded=True) == "950"


def test_untrusted_text_loses_bidi_overrides_and_control_characters() -> None:
    assert fmt.clean_text("\u202eevil\u202c text\x00\x07", 50) == "evil text"
    assert fmt.clean_text("a\u2066b\u2069c\u200bd", 50) == "abcd"
    assert fmt.clean_text("family 👨\u200d👩\u200d👧 ok", 50) == "family 👨\u200d👩\u200d👧 ok"
    assert fmt.clean_text("<script>x</script>", 50) == "<script>x</script>"  # text, not HTML


def test_long_text_is_cut_with_an_ellipsis() -> None:
    shown = fmt.clean_text("A" * 10_000, 80)
    assert len(shown) == 80 and shown.endswith("…")
    assert fmt.clean_text("short", 80) == "short"


def test_rank_changes() -> None:
    assert fmt.rank_change(2, 5, False) == ("▲3", "up")
    assert fmt.rank_change(5, 2, False) == ("▼3", "down")
    assert fmt.rank_change(3, 3, False) == ("–", "same")
    assert fmt.rank_change(3, None, False) == ("NEW", "new")
    assert fmt.rank_change(3, 1, True) == ("NEW", "new")


def test_durations_read_naturally() -> None:
    assert [fmt.duration(s) for s in (5, 120, 3600, 90_000)] == ["5 s", "2 min", "1 h", "1 d 1 h"]
