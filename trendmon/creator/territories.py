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
