"""Territories: legacy exports name countries (``United States``), current ones give ISO-3166
alpha-2 codes (``US``); both are stored as the code, and the map needs alpha-3 and a name."""

from __future__ import annotations

from typing import Final

_TABLE: Final = """\
AE ARE United Arab Emirates|AR ARG Argentina|AT AUT Austria|AU AUS Australia|BD BGD Bangladesh
BE BEL Belgium|BG BGR Bulgaria|BR BRA Brazil|CA CAN Canada|CH CHE Switzerland|CL CHL Chile
CN CHN China|CO COL Colombia|CZ CZE Czechia|DE DEU Germany|DK DNK Denmark|DO DOM Dominican Republic
DZ DZA Algeria|EC ECU Ecuador|EG EGY Egypt|ES ESP Spain|FI FIN Finland|FR FRA France
GB GBR United Kingdom|GH GHA Ghana|GR GRC Greece|GT GTM Guatemala|HK HKG Hong Kong|HN HND Honduras
HU HUN Hungary|ID IDN Indonesia|IE IRL Ireland|IL ISR Israel|IN IND India|IQ IRQ Iraq|IT ITA Italy
JM JAM Jamaica|JO JOR Jordan|JP JPN Japan|KE KEN Kenya|KR KOR South Korea|KW KWT Kuwait
KZ KAZ Kazakhstan|LB LBN Lebanon|MA MAR Morocco|MX MEX Mexico|MY MYS Malaysia|NG NGA Nigeria
NL NLD Netherlands|NO NOR Norway|NZ NZL New Zealand|PE PER Peru|PH PHL Philippines|PK PAK Pakistan
PL POL Poland|PR PRI Puerto Rico|PT PRT Portugal|QA QAT Qatar|RO ROU Romania|RS SRB Serbia
RU RUS Russia|SA SAU Saudi Arabia|SE SWE Sweden|SG SGP Singapore|SV SLV El Salvador|TH THA Thailand
TN TUN Tunisia|TR TUR Turkey|TW TWN Taiwan|UA UKR Ukraine|US USA United States|UY URY Uruguay
VE VEN Venezuela|VN VNM Vietnam|ZA ZAF South Africa"""

CODES: Final[dict[str, tuple[str, str]]] = {}
"""Alpha-2 -> (alpha-3, name)."""
for _line in _TABLE.replace("\n", "|").split("|"):
    _a2, _a3, _name = _line.split(" ", 2)
    CODES[_a2] = (_a3, _name)
_BY_NAME: Final = {name.casefold(): a2 for a2, (_, name) in CODES.items()}
_BY_NAME.update({"united states of america": "US", "uk": "GB", "türkiye": "TR",
                 "korea": "KR", "czech republic": "CZ", "viet nam": "VN"})  # fmt: skip


def territory_code(name: str) -> str:
    """The alpha-2 code of a territory cell (``Others`` and unknown names kept as they are).

    >>> territory_code("United States"), territory_code("eg"), territory_code("Others")
    ('US', 'EG', 'Others')
    """
    t = " ".join(name.split())
    if len(t) == 2 and t.isalpha():
        return t.upper()
    return _BY_NAME.get(t.casefold(), t)


def alpha3(code: str) -> str | None:
    """The alpha-3 code the map needs."""
    entry = CODES.get(code)
    return entry[0] if entry else None


def country_name(code: str) -> str:
    entry = CODES.get(code)
    return entry[1] if entry else code


_CENTROIDS: Final = """\
AE 24 54|AR -34 -64|AT 47 14|AU -25 134|BD 24 90|BE 51 4|BG 43 25|BR -10 -52|CA 56 -106
CH 47 8|CL -33 -71|CN 35 104|CO 4 -73|CZ 50 15|DE 51 10|DK 56 10|DO 19 -70|DZ 28 3|EC -1 -78
EG 27 30|ES 40 -4|FI 64 26|FR 46 2|GB 54 -2|GH 8 -1|GR 39 22|GT 15 -90|HK 22 114|HN 15 -87
HU 47 19|ID -2 118|IE 53 -8|IL 31 35|IN 21 78|IQ 33 44|IT 42 12|JM 18 -77|JO 31 36|JP 36 138
KE 0 38|KR 36 128|KW 29 48|KZ 48 67|LB 34 36|MA 32 -6|MX 23 -102|MY 4 102|NG 9 8|NL 52 5
NO 61 8|NZ -41 174|PE -10 -76|PH 13 122|PK 30 70|PL 52 19|PR 18 -66|PT 39 -8|QA 25 51|RO 46 25
RS 44 21|RU 61 100|SA 24 45|SE 62 15|SG 1 104|SV 14 -89|TH 15 101|TN 34 9|TR 39 35|TW 24 121
UA 49 32|US 39 -98|UY -33 -56|VE 7 -66|VN 16 106|ZA -29 24"""
CENTROIDS: Final[dict[str, tuple[float, float]]] = {
    code: (float(lat), float(lon))
    for code, lat, lon in (item.split() for item in _CENTROIDS.replace("\n", "|").split("|"))
}
"""Alpha-2 -> approximate (latitude, longitude), for a map drawn without map tiles (the
dashboard is offline: plotly's geo maps fetch their outlines from a CDN)."""
