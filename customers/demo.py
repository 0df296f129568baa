"""Made-up but valid customer data for the demo and the benchmark.

No Faker here (it is a development dependency, and its Dutch phone numbers and VAT ids mostly
fail the checks): names and streets come from short lists, postcodes are checked with
python-stdnum's rules, phone numbers with libphonenumber and VAT ids with their check digits.
Every value depends only on the ``random.Random`` passed in, so a seed gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode

from customers.models import AddressKind, CustomerKind, Language, PaymentMethod

FIRST_NAMES = (
    "Daan Sem Lucas Levi Finn Milan Noah Jesse Bram Luuk Thijs Lars Ruben Tim Sven Jeroen Pieter Kees Willem Joost "
    "Mark Bas Wouter Stijn Jan Henk Gerrit Erik Martijn Niels Emma Julia Mila Tess Sophie Zoë Sara Anna Eva Lotte "
    "Fleur Noor Isa Lisa Femke Sanne Anouk Iris Marloes Ingrid Annelies Petra Marieke Esther Linda Ilse Nina Yara "
    "Fatima Mohamed Ayoub Aylin Priya Sanjay Mei Chen Olga Piotr"
).split()
SURNAMES = (
    "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|Mulder|de Groot|"
    "Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|van der Meer|van der Linden|"
    "Kok|Jacobs|de Haan|Vermeulen|van den Heuvel|van der Veen|van den Broek|de Bruijn|de Bruin|van der Heijden|"
    "Schouten|van Beek|Willems|van Vliet|van de Ven|Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|"
    "Blom|Huisman|Peeters|de Jonge|Kuipers|van Veen|Post|Kuiper|Veenstra|Kramer|van den Brink|Scholten|"
    "van Wijk|Postma|Martens|Vink|de Ruiter|Timmermans|Groen|Gerritsen|Jonker|van Loon|Boer|van der Velde|"
    "Yilmaz|El Amrani|Öztürk|Wiśniewski"
).split("|")
STREETS = (
    "Kerkstraat|Schoolstraat|Dorpsstraat|Molenweg|Stationsweg|Julianastraat|Wilhelminastraat|Beatrixlaan|"
    "Oranjestraat|Nieuwstraat|Marktplein|Parallelweg|Prins Bernhardlaan|Emmastraat|Hoofdstraat|Lindenlaan|"
    "Eikenlaan|Beukenlaan|Sportlaan|Industrieweg|Oudegracht|Herengracht|Keizersgracht|Prinsengracht|Damrak|"
    "Coolsingel|Lange Voorhout|Grote Markt|Vismarkt|Boschstraat"
).split("|")
# City and the first two postcode digits of one of its real postcode areas.
NL_CITIES = (
    ("Amsterdam", 10),
    ("Rotterdam", 30),
    ("Den Haag", 25),
    ("Utrecht", 35),
    ("Eindhoven", 56),
    ("Groningen", 97),
    ("Tilburg", 50),
    ("Almere", 13),
    ("Breda", 48),
    ("Nijmegen", 65),
    ("Haarlem", 20),
    ("Arnhem", 68),
    ("Zwolle", 80),
    ("Leiden", 23),
    ("Maastricht", 62),
    ("Delft", 26),
    ("Leeuwarden", 89),
    ("Amersfoort", 38),
    ("Enschede", 75),
    ("Apeldoorn", 73),
)
BUSINESS_WORDS = (
    "Cadeaus|Woonwinkel|Interieur|Bloemen & Zo|Kantoorartikelen|Speelgoed|Geschenken|Lifestyle|Concept Store|"
    "Feestartikelen|Boekhandel|Tuincentrum|Hobby & Creatief|Keukenwinkel|Design"
).split("|")
LEGAL_FORMS = ("B.V.", "B.V.", "V.O.F.", "")

# Foreign addresses: (street, [(city, postcode pattern)]); "#" is a digit, "?" a capital letter.
FOREIGN = {
    "DE": ("Hauptstraße", [("Berlin", "10###"), ("Hamburg", "20###"), ("München", "80###"), ("Köln", "50###")]),
    "FR": ("Rue de la République", [("Paris", "750##"), ("Lyon", "6900#"), ("Lille", "590##")]),
    "ES": ("Calle Mayor", [("Madrid", "280##"), ("Barcelona", "080##"), ("Valencia", "460##")]),
    "BE": ("Kerkstraat", [("Antwerpen", "20##"), ("Gent", "90##"), ("Brussel", "10##")]),
    "CH": ("Bahnhofstrasse", [("Zürich", "80##"), ("Basel", "40##")]),
    "PT": ("Rua Augusta", [("Lisboa", "1100-###"), ("Porto", "4000-###")]),
    "IT": ("Via Roma", [("Milano", "201##"), ("Roma", "001##")]),
    "FI": ("Mannerheimintie", [("Helsinki", "00###")]),
    "AT": ("Hauptplatz", [("Wien", "1###"), ("Graz", "80##")]),
    "NO": ("Storgata", [("Oslo", "0###")]),
    "JE": ("King Street", [("St Helier", "JE2 #??")]),
    "JP": ("Chuo-dori", [("Tokyo", "1##-####")]),
    "SE": ("Drottninggatan", [("Stockholm", "111 ##")]),
    "AU": ("George Street", [("Sydney", "2000")]),
    "DK": ("Strøget", [("København", "1###")]),
    "PL": ("ul. Długa", [("Gdańsk", "80-###")]),
    "CY": ("Ledra Street", [("Nicosia", "10##")]),
    "IL": ("Rothschild Blvd", [("Tel Aviv", "6######")]),
    "GR": ("Ermou", [("Athina", "105 ##")]),
    "CA": ("Yonge Street", [("Toronto", "M5? #?#")]),
    "US": ("Main Street", [("Springfield", "627##")]),
    "IE": ("Grafton Street", [("Dublin", "D02 ?###")]),
    "AE": ("Sheikh Zayed Road", [("Dubai", "00000")]),
    "BH": ("Government Avenue", [("Manama", "3##")]),
    "MT": ("Republic Street", [("Valletta", "VLT ####")]),
    "LT": ("Gedimino pr.", [("Vilnius", "LT-01###")]),
    "IS": ("Laugavegur", [("Reykjavík", "101")]),
    "SG": ("Orchard Road", [("Singapore", "238###")]),
    "LB": ("Hamra Street", [("Beirut", "1103 ####")]),
    "SA": ("King Fahd Road", [("Riyadh", "12###")]),
    "CZ": ("Václavské náměstí", [("Praha", "110 00")]),
    "BR": ("Avenida Paulista", [("São Paulo", "01310-###")]),
    "ZA": ("Long Street", [("Cape Town", "8001")]),
}
# VAT id shapes per EU country ("#" digit, "?" letter); candidates are drawn until the check
# digits fit (at most a few hundred draws).
VAT_SHAPES = {
    "NL": "NL#########B##",
    "BE": "BE0#########",
    "DE": "DE#########",
    "FR": "FR###########",
    "ES": "ESB########",
    "PT": "PT5########",
    "IT": "IT#######001#",
    "FI": "FI########",
    "AT": "ATU########",
    "SE": "SE##########01",
    "DK": "DK########",
    "PL": "PL##########",
    "CY": "CY1#######?",
    "EL": "EL#########",
    "IE": "IE#######?",
    "MT": "MT########",
    "LT": "LT#######1#",
    "CZ": "CZ########",
}
VAT_PREFIX = {"GR": "EL"}


def _fill(rng: random.Random, pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "#":
            out.append(rng.choice("0123456789"))
        elif ch == "?":
            out.append(rng.choice("ABCDEFGHJKLMNPRTVWXY"))
        else:
            out.append(ch)
    return "".join(out)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def company_name(rng: random.Random, surname_of: str) -> str:
    surname = surname_of.split(" ", 1)[1]
    name = f"{surname[0].upper()}{surname[1:]} {rng.choice(BUSINESS_WORDS)}"
    return f"{name} {rng.choice(LEGAL_FORMS)}".strip()


def email_for(name: str, number: int, domain: str = "example.nl") -> str:
    local = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isascii() and (ch.isalnum() or ch == "."))
    return f"{local}.{number}@{domain}"


def nl_postcode_value(rng: random.Random, area: int) -> str:
    while True:
        candidate = (
            f"{area:02d}{rng.randint(0, 99):02d} {rng.choice('ABCDEFGHJKLMNPRTVWXZ')}{rng.choice('ABEGHJKLNPRTVXZ')}"
        )
        if nl_postcode.is_valid(candidate):
            return nl_postcode.validate(candidate)


def address(rng: random.Random, country: str, kind: str) -> dict:
    if country == "NL" or country not in FOREIGN:
        city, area = rng.choice(NL_CITIES)
        street, postcode, country = rng.choice(STREETS), nl_postcode_value(rng, area), "NL"
    else:
        street, places = FOREIGN[country]
        city, pattern = rng.choice(places)
        postcode = _fill(rng, pattern)
    addition = rng.choice(["", "", "", "", "A", "B", "2", "bis"]) if country == "NL" else ""
    if addition == "bis":
        addition = "1"
    return {
        "kind": kind,
        "street": street,
        "house_number": str(rng.randint(1, 240)),
        "house_number_addition": addition,
        "postal_code": postcode,
        "city": city,
        "country": country,
    }


def phone(rng: random.Random, country: str) -> str:
    """A valid mobile number of the country (E.164): the example number's first digits (the
    mobile range) with the rest drawn at random until libphonenumber accepts it."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return ""
    digits = str(example.national_number)
    for keep in (max(2, len(digits) - 7), len(digits) - 4):
        for _ in range(25):
            drawn = "".join(rng.choice("0123456789") for _ in range(len(digits) - keep))
            candidate = phonenumbers.PhoneNumber(
                country_code=example.country_code, national_number=int(digits[:keep] + drawn)
            )
            if phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def vat_id(rng: random.Random, country: str) -> str:
    """A VAT id with correct check digits, or "" outside the EU."""
    shape = VAT_SHAPES.get(VAT_PREFIX.get(country, country))
    if shape is None:
        return ""
    for _ in range(5000):
        candidate = _fill(rng, shape)
        if eu_vat.is_valid(candidate):
            return eu_vat.compact(candidate)
    return ""


def coc_number(rng: random.Random) -> str:
    return f"{rng.randint(10_000_000, 99_999_999)}"


@dataclass
class DemoCustomer:
    fields: dict
    addresses: list[dict]


B2C_METHODS = [PaymentMethod.IDEAL] * 6 + [PaymentMethod.CARD, PaymentMethod.KLARNA, PaymentMethod.RIVERTY]


def customer(rng: random.Random, *, country: str, serial: int, b2b_share: float = 0.15) -> DemoCustomer:
    """One customer: about ``b2b_share`` businesses (VAT id, KvK for NL, on account with a credit
    limit, 1 in 25 on credit hold), the others consumers; a quarter ship somewhere else."""
    name = person_name(rng)
    b2b = rng.random() < b2b_share
    fields = {
        "kind": CustomerKind.B2B if b2b else CustomerKind.B2C,
        "name": name,
        "email": email_for(name, serial),
        "phone": phone(rng, country) if rng.random() < 0.9 else "",
        "language": Language.NL if country in ("NL", "BE") else Language.EN,
        "preferred_payment_method": rng.choice(B2C_METHODS),
    }
    if b2b:
        fields.update(
            company_name=company_name(rng, name),
            vat_id=vat_id(rng, country),
            coc_number=coc_number(rng) if country == "NL" else "",
            preferred_payment_method=PaymentMethod.ON_ACCOUNT,
            payment_terms_days=rng.choice([14, 30, 30, 60]),
            credit_limit=rng.choice([2500, 5000, 10000, 25000]),
        )
        if rng.random() < 0.04:
            fields.update(credit_hold=True, credit_hold_reason="Invoices more than 60 days overdue.")
    addresses = [address(rng, country, AddressKind.BILLING)]
    addresses.append(address(rng, country, AddressKind.SHIPPING) if rng.random() < 0.25 else {**addresses[0]})
    addresses[1]["kind"] = AddressKind.SHIPPING
    return DemoCustomer(fields=fields, addresses=addresses)
