"""Every real export in shared/data/account-analytics imports, with values checked by hand
against the files (the line of the file is given beside each value)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from trendmon.creator.detect import read_exports
from trendmon.creator.records import Day, Export
from trendmon.errors import ExportFormatError

TODAY = date(2026, 12, 5)


def read(folder: Path, *names: str, **kw: object) -> list[Export]:
    files = [(n, (folder / n).read_bytes()) for n in names]
    return read_exports(files, today=TODAY, **kw)  # type: ignore[arg-type]


def one(folder: Path, name: str, **kw: object) -> Export:
    (export,) = read(folder, name, **kw)
    return export


def day(export: Export, when: str) -> Day:
    return next(d for d in export.days if d.date == when)


def test_every_real_file_imports(account_exports: Path) -> None:
    files = sorted(p.name for p in account_exports.iterdir() if p.suffix != ".md")
    assert len(files) == 26
    for name in files:
        (export,) = read(account_exports, name)
        assert export.format
        assert export.days or export.posts or export.audience or export.activity or (
            name.startswith("dyd2024")  # a test account without posts
        ), name


def test_studio_overview_365_days_cross_new_year(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_overview-365d.csv")
    assert ex.format == "studio-overview"
    assert len(ex.days) == 365
    assert ex.days[0].date == "2025-02-28" and ex.days[-1].date == "2026-02-27"
    # line 308 "December 31","9768","12","15","0","0"; line 309 "January 1","28710",...
    assert day(ex, "2025-12-31").views == 9768
    assert day(ex, "2026-01-01").views == 28710 and day(ex, "2026-01-01").profile_views == 23
    # line 366 "February 27","18237","15","30","0","6"
    last = day(ex, "2026-02-27")
    assert (last.views, last.likes, last.comments, last.shares) == (18237, 30, 0, 6)
    assert ex.exported == "2026-02-28"  # the last row is the day before the export


def test_negative_daily_comments_are_kept(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_overview-365d.csv")
    negative = [d.comments for d in ex.days if d.comments is not None and d.comments < 0]
    assert len(negative) == 35 and min(negative) == -7  # as FORMATS.md counted


def test_follower_history_total_and_undefined(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_follower-history.csv")
    assert day(ex, "2026-02-27").followers == 5013  # line 366
    assert day(ex, "2026-01-01").followers == 4993 and day(ex, "2026-01-01").followers_net == -3
    # "undefined" on the first 25 days: no data, not zero
    assert [d.followers for d in ex.days[:25]] == [None] * 25
    assert ex.days[25].followers is not None


def test_viewers_new_and_returning(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_viewers.csv")
    d = day(ex, "2026-02-27")  # "February 27","15752","9979","5773"
    assert (d.viewers, d.viewers_new, d.viewers_returning) == (15752, 9979, 5773)
    assert ex.days[0].viewers is None and ex.days[0].viewers_new == 0


def test_follower_activity_hours_and_the_unmeasured_tail(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_follower-activity.csv")
    hours = {(a.date, a.hour): a.active for a in ex.activity}
    assert hours[("2026-02-21", 0)] == 491  # line 2
    assert hours[("2026-02-21", 10)] == 1128  # line 12
    assert hours[("2026-02-27", 17)] == 1114
    # hours 18-23 of the export day are "0": not measured yet, so missing
    assert all(("2026-02-27", h) not in hours for h in range(18, 24))
    assert len(ex.activity) == 168 - 6


def test_legacy_activity_counts_hours_1_to_24(account_exports: Path) -> None:
    ex = one(account_exports, "studio2021_weatherchannel_follower-activity.csv")
    hours = {(a.date, a.hour): a.active for a in ex.activity}
    assert hours[("2021-03-08", 0)] == 55398  # "2021-03-08","1","55398"
    assert min(h for _, h in hours) == 0 and max(h for _, h in hours) == 23
    cory = one(account_exports, "studio2022_corymink_follower-activity.csv")
    assert {(a.date, a.hour): a.active for a in cory.activity}[("2022-08-10", 0)] == 392


def test_gender_fractions_and_percent_strings(account_exports: Path) -> None:
    new = one(account_exports, "studio2026_haileytupy_follower-gender.csv")
    assert {s.key: s.share for s in new.audience} == {"Female": 0.59, "Male": 0.41, "Other": 0}
    old = one(account_exports, "studio2021_weatherchannel_gender.csv")
    assert {s.key: s.share for s in old.audience} == {"Female": 0.62, "Male": 0.38}


def test_territories_codes_and_names(account_exports: Path) -> None:
    new = one(account_exports, "studio2026_haileytupy_follower-top-territories.csv")
    shares = {s.key: s.share for s in new.audience}
    assert shares["US"] == 0.462 and shares["EG"] == 0.219 and "Others" in shares
    old = one(account_exports, "studio2021_weatherchannel_top-territories.csv")
    assert {s.key: s.share for s in old.audience} == {
        "IE": 0.0, "MX": 0.0, "GB": 0.0, "CA": 0.02, "US": 0.96
    }  # fmt: skip


def test_undated_snapshots_take_the_day_of_their_export_set(account_exports: Path) -> None:
    exports = read(
        account_exports,
        "studio2026_haileytupy_follower-gender.csv",
        "studio2026_haileytupy_follower-history.csv",
    )
    gender = next(e for e in exports if e.format == "studio-gender")
    assert gender.exported == "2026-02-28"  # FollowerHistory's last day + 1


def test_content_year_and_time_from_the_video_id(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_haileytupy_content.csv")
    assert ex.account == "haileytupy2.0" and len(ex.posts) == 13
    assert ex.exported == "2026-02-28"  # "February 28", after the newest post
    post = next(p for p in ex.posts if p.video_id == "7531345990947851551")
    # "","…/video/7531345990947851551","July 26","1837","50","6","30504"
    assert (post.likes, post.comments, post.shares, post.views) == (1837, 50, 6, 30504)
    assert post.caption == ""
    assert post.posted_at == "2025-07-26T11:08:54Z" and post.posted_date == "2025-07-26"
    # the file's day is the account's local day: "September 3" for 2025-09-04 01:08 UTC
    sept = next(p for p in ex.posts if p.video_id == "7546034661705796877")
    assert sept.posted_date == "2025-09-03" and sept.posted_at.startswith("2025-09-04T01:08")


def test_legacy_trending_videos_with_the_nbsp_header(account_exports: Path) -> None:
    ex = one(account_exports, "studio2021_weatherchannel_trending-videos.csv")
    assert ex.format == "studio-trending-videos" and ex.exported == "2021-03-17"
    post = next(p for p in ex.posts if p.video_id == "6939232089107647749")
    assert (post.views_recent, post.likes, post.comments, post.shares, post.views) == (
        236479, 22893, 832, 2387, 255006
    )  # fmt: skip
    assert post.posted_at is not None and post.posted_at.startswith("2021-03-13T20:04")
    posts = one(account_exports, "studio2021_weatherchannel_video-posts.csv")
    assert posts.format == "studio-content" and posts.posts[0].views == 8281


def test_legacy_overview_2021_has_the_follower_total(account_exports: Path) -> None:
    ex = one(account_exports, "studio2021_weatherchannel_last-60-days.csv")
    assert ex.format == "studio-overview-2021" and len(ex.days) == 60
    d = day(ex, "2021-01-15")  # "2021-01-15","342","285","1","24"
    assert (d.views, d.followers, d.followers_net, d.profile_views) == (342, 285, 1, 24)


def test_excel_resaved_files_day_first_crlf_unquoted(account_exports: Path) -> None:
    ov = one(account_exports, "studio2022_corymink_last-60-days.csv")
    assert ov.format == "studio-overview" and len(ov.days) == 59
    d = day(ov, "2022-06-25")  # 25/6/2022,468,20,17,4,0
    assert (d.views, d.profile_views, d.likes, d.comments, d.shares) == (468, 20, 17, 4, 0)
    fol = one(account_exports, "studio2022_corymink_total-followers.csv")
    assert day(fol, "2022-06-23").followers == 9790 and day(fol, "2022-06-23").followers_net == -1
    live = one(account_exports, "studio2022_corymink_live-interaction.csv")
    d = day(live, "2022-06-25")  # 25/6/2022,12,13,3423,5 (" New followers")
    assert (d.live_new_followers, d.live_commenters, d.live_likes, d.live_shares) == (
        12, 13, 3423, 5
    )  # fmt: skip


def test_spanish_month_names_under_english_headers(account_exports: Path) -> None:
    ex = one(account_exports, "studio2026_francovelardez44_overview-es-dates.csv")
    assert ex.days[0].date == "2026-03-08"
    assert day(ex, "2026-03-14").views == 7  # "14 de marzo","7",...


def test_xlsx_every_cell_text_and_the_real_zip(account_exports: Path) -> None:
    csv_ = one(account_exports, "studio2026_bosszy27_overview.csv")
    xlsx = one(account_exports, "studio2026_bosszy27_overview.xlsx")
    assert xlsx.format == "studio-overview"
    assert xlsx.days == csv_.days
    assert day(xlsx, "2026-04-12").views == 1591  # "April 12","1591","7","10","1","0"
    (zipped,) = read(account_exports, "studio2026_bosszy27_overview-download.zip")
    assert zipped.source.endswith("!Overview.csv")
    assert day(zipped, "2026-04-16").profile_views == 1  # "April 16","0","1",...


def test_business_suite_reach_new_and_lost(account_exports: Path) -> None:
    ov = one(account_exports, "bizsuite2025_vintagerest_overview.csv")
    assert ov.format == "business-overview"
    d = day(ov, "2025-11-01")  # 2025/11/01,75155,75134,539,845,244,58,0,0,100,100,0
    assert (d.views, d.reach, d.profile_views, d.likes, d.shares, d.comments) == (
        75155, 75134, 539, 845, 244, 58
    )  # fmt: skip
    assert (d.followers_net, d.followers_new, d.followers_lost) == (100, 100, 0)
    assert day(ov, "2025-10-31").reach is None  # NAN
    au = one(account_exports, "bizsuite2025_vintagerest_audience.csv")
    d = day(au, "2025-11-01")  # 2025/11/01,100,--,75134,1801
    assert (d.followers_new, d.followers, d.reach, d.engaged) == (100, None, 75134, 1801)
    content = one(account_exports, "bizsuite2025_vintagerest_content.csv")
    assert len(content.posts) == 51 and content.account == "vintagerest.bg"
    post = next(p for p in content.posts if p.video_id == "7567818627731229974")
    assert (post.views, post.likes, post.comments, post.shares, post.saves) == (704, 17, 0, 2, 0)
    assert post.posted_at is not None and post.posted_at.startswith("2025-11-01T18:01")


def test_download_your_data_posts_and_nothing_personal(account_exports: Path) -> None:
    ex = one(account_exports, "dyd2026_haileytupy_posts-EXCERPT.json")
    assert ex.format == "takeout-json" and len(ex.posts) == 3
    post = next(p for p in ex.posts if p.posted_at == "2025-07-26T11:10:14Z")
    assert post.likes == 1837 and post.sound == "delulu - NESYA" and post.views is None
    full = one(account_exports, "dyd2024_research-test-account_user_data_tiktok.json")
    assert full.account == "user" and full.posts == []
    import msgspec

    stored = msgspec.json.encode(full).decode()
    for private in ("redacted@example.invalid", "01-Jan-2000", "tiktokcdn"):
        assert private not in stored


def test_a_zip_of_download_your_data(account_exports: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(account_exports / "dyd2026_haileytupy_posts-EXCERPT.json", "user_data_tiktok.json")
    (ex,) = read_exports([("TikTok_Data_1.zip", buf.getvalue())], today=TODAY)
    assert ex.format == "takeout-json" and len(ex.posts) == 3


def test_studio_section_zips_name_the_account_and_the_year(account_exports: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.write(account_exports / "studio2026_bosszy27_overview.csv", "Overview.csv")
    # Overview_<first day>_<epoch of the period's end>_<handle>.zip
    name = "Overview_2025-04-12_1745020800_bosszy27.zip"
    (ex,) = read_exports([(name, buf.getvalue())], today=TODAY)
    assert ex.account == "bosszy27"
    assert ex.days[0].date == "2025-04-12"  # the year from the name, not from today


@pytest.mark.parametrize(
    ("name", "data", "expect"),
    [
        ("notes.txt", b"hello,world\n1,2\n", r"notes\.txt, line 1: the header .*not one of"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"photo\.png: is a binary file"),
        ("other.json", b'{"data": [1, 2]}', r"other\.json: is JSON but not TikTok"),
        ("broken.json", b'{"Post": ', r"broken\.json: is not valid JSON"),
        ("empty.csv", b"", r"empty\.csv: is empty"),
        ("junk.zip", b"PK\x03\x04garbage", r"junk\.zip: is a broken ZIP"),
    ],
)
def test_a_file_of_another_kind_gives_the_error(name: str, data: bytes, expect: str) -> None:
    with pytest.raises(ExportFormatError, match=expect):
        read_exports([(name, data)], today=TODAY)


def test_a_bad_cell_names_the_line_and_the_fix() -> None:
    data = b'"Date","Video Views","Profile Views","Likes","Comments","Shares"\n' \
           b'"April 12","1591","7","10","1","0"\n"April 13","lots","1","5","0","0"\n'  # fmt: skip
    with pytest.raises(ExportFormatError, match=r"Overview\.csv, line 3: 'lots' in column"):
        read_exports([("Overview.csv", data)], today=TODAY)
    data = b'"Date","Video Views","Profile Views","Likes","Comments","Shares"\n' \
           b'"Blursday","1","0","0","0","0"\n'  # fmt: skip
    with pytest.raises(ExportFormatError, match=r"line 2: 'Blursday' is not a date; TikTok"):
        read_exports([("Overview.csv", data)], today=TODAY)
