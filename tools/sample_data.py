"""Tables behind the sample segment generator.

Every expected value that is not a plain rule on a clean value is written down here
(city and state keys, country codes), so the generator never has to normalize text to
know what Meta should receive. Phone plans are national significant numbers: `#` is any
digit, `N` a digit from 2 to 9; the groups are the way the number is usually read out.
Postcode patterns use `#` for a digit and `@` for a letter of the country's alphabet.
Phone styles are `str.format` templates over the groups: `sp`, `dash`, `dot` and `all`
join every group with a space, a hyphen, a dot or nothing; `g0`, `g1`, `g2` are single
groups; `rest` and `rest_all` are the groups after the first, spaced or run together.
"""

from typing import NamedTuple


class City(NamedTuple):
    name: str
    ct: str  # CT key, written down (ASCII transliteration, a-z only)
    states: tuple[tuple[str, str], ...]  # (State cell, ST key); () = left empty
    postcode: str


class Country(NamedTuple):
    code: str  # ISO 3166-1 alpha-2, lower case: the COUNTRY key
    weight: int
    cells: tuple[tuple[str, int], ...]  # how the Country column spells it, weighted
    calling_code: str
    phone_plans: tuple[str, ...]
    national_styles: tuple[tuple[str, int], ...]
    international_styles: tuple[tuple[str, int], ...]
    postcode_letters: str
    numeric_dates: str  # "mdy" or "dmy": how this market writes 02/28/1990
    language: str  # gender words beside English: "de", "fr", "es" or "en"
    cities: tuple[City, ...]
    female_names: tuple[str, ...]
    male_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _us(city: str, ct: str, state: str, postcode: str) -> City:
    """A US city whose State cell is the USPS code or the state's full name."""
    return City(
        city, ct, ((state, state.lower()), (US_STATES[state], state.lower())), postcode
    )


def _one(city: str, ct: str, state: str, st: str, postcode: str) -> City:
    return City(city, ct, ((state, st),), postcode)


US_STATES = {
    "AK": "Alaska",
    "CA": "California",
    "DC": "District of Columbia",
    "FL": "Florida",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "MA": "Massachusetts",
    "MO": "Missouri",
    "NC": "North Carolina",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "TX": "Texas",
    "WA": "Washington",
}

# Letters that can end a UK postcode (Royal Mail leaves out C, I, K, M, O and V) and
# that can appear in a Canadian one (Canada Post leaves out D, F, I, O, Q and U; W and
# Z, which may not lead, are left out too so one alphabet serves every position).
GB_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
CA_POSTCODE_LETTERS = "ABCEGHJKLMNPRSTVXY"

NANP_NATIONAL = (
    ("({g0}) {g1}-{g2}", 40),
    ("{dash}", 20),
    ("{dot}", 8),
    ("{all}", 10),
    ("1-{dash}", 5),
    ("1 ({g0}) {g1}-{g2}", 2),
)
NANP_INTERNATIONAL = (
    ("+1 {sp}", 30),
    ("+1 ({g0}) {g1}-{g2}", 20),
    ("+1-{dash}", 15),
    ("+1{all}", 15),
    ("001 {sp}", 5),
    ("001-{dash}", 3),
)
US_FEMALE = (
    "Mary",
    "Mary Ann",
    "Jennifer",
    "Emily",
    "Zoë",
    "Ashley",
    "Olivia",
    "Sarah",
    "María",
    "Jessica",
    "Mia",
    "Ana María",
    "Brooke",
    "Renée",
)
US_MALE = (
    "James",
    "John",
    "Michael",
    "Robert",
    "José",
    "D'Andre",
    "William",
    "David",
    "Carlos",
    "Tyler",
    "Jean-Luc",
    "Kevin",
    "Jesús",
    "Brandon",
)
US_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "O'Brien",
    "O'Brien-Smith",
    "García",
    "Martínez",
    "Nguyen",
    "McDonald",
    "St. John",
    "van der Berg",
    "De La Cruz",
    "Kim",
    "Brown",
    "Miller",
    "Davis",
    "Rodríguez",
    "Lee",
)

US = Country(
    code="us",
    weight=35,
    cells=(
        ("US", 30),
        ("us", 4),
        ("USA", 20),
        ("U.S.", 5),
        ("U.S.A.", 3),
        ("United States", 15),
        ("United States of America", 5),
    ),
    calling_code="1",
    phone_plans=(
        "212 N## ####",
        "415 N## ####",
        "312 N## ####",
        "617 N## ####",
        "206 N## ####",
        "305 N## ####",
        "512 N## ####",
        "702 N## ####",
        "415 555 01##",
    ),
    national_styles=NANP_NATIONAL,
    international_styles=NANP_INTERNATIONAL,
    postcode_letters="",
    numeric_dates="mdy",
    language="en",
    cities=(
        _us("New York", "newyork", "NY", "100##"),
        _us("Los Angeles", "losangeles", "CA", "900##"),
        _us("San Francisco", "sanfrancisco", "CA", "941##"),
        _us("Chicago", "chicago", "IL", "606##"),
        _us("Houston", "houston", "TX", "770##"),
        _us("Boston", "boston", "MA", "021##"),
        _us("Newark", "newark", "NJ", "071##"),
        _us("Washington", "washington", "DC", "200##"),
        _us("Seattle", "seattle", "WA", "981##"),
        _us("Miami", "miami", "FL", "331##"),
        _us("Coeur d'Alene", "coeurdalene", "ID", "838##"),
        _us("St. Louis", "stlouis", "MO", "631##"),
        _us("Winston-Salem", "winstonsalem", "NC", "271##"),
        _us("Española", "espanola", "NM", "875##"),
        _us("Honolulu", "honolulu", "HI", "968##"),
        _us("Anchorage", "anchorage", "AK", "995##"),
    ),
    female_names=US_FEMALE,
    male_names=US_MALE,
    last_names=US_LAST,
)

GB = Country(
    code="gb",
    weight=10,
    cells=(("GB", 20), ("UK", 25), ("GBR", 5), ("United Kingdom", 20), ("gb", 3)),
    calling_code="44",
    phone_plans=(
        "20 7946 0###",
        "20 7### ####",
        "161 496 0###",
        "161 N## ####",
        "117 496 0###",
        "7400 ######",
        "7400 9#####",
    ),
    national_styles=(("0{sp}", 50), ("0{all}", 15), ("(0{g0}) {rest}", 10)),
    international_styles=(
        ("+44 {sp}", 40),
        ("+44 (0){sp}", 15),
        ("0044 {sp}", 15),
        ("+44{all}", 15),
    ),
    postcode_letters=GB_POSTCODE_LETTERS,
    numeric_dates="dmy",
    language="en",
    cities=(
        City("London", "london", (("Greater London", "greaterlondon"),), "SW1A #@@"),
        City("London", "london", (), "EC1A #@@"),
        City("London", "london", (), "E14 #@@"),
        City(
            "Manchester",
            "manchester",
            (("Greater Manchester", "greatermanchester"),),
            "M1 #@@",
        ),
        _one("Birmingham", "birmingham", "West Midlands", "westmidlands", "B33 #@@"),
        _one(
            "Edinburgh", "edinburgh", "City of Edinburgh", "cityofedinburgh", "EH1 #@@"
        ),
        _one("Cardiff", "cardiff", "South Glamorgan", "southglamorgan", "CF10 #@@"),
        _one("Belfast", "belfast", "County Antrim", "countyantrim", "BT1 #@@"),
        City("Bristol", "bristol", (), "BS1 #@@"),
        _one(
            "Newcastle upon Tyne",
            "newcastleupontyne",
            "Tyne and Wear",
            "tyneandwear",
            "NE1 #@@",
        ),
        _one(
            "Stoke-on-Trent",
            "stokeontrent",
            "Staffordshire",
            "staffordshire",
            "ST1 #@@",
        ),
    ),
    female_names=(
        "Olivia",
        "Amelia",
        "Isla",
        "Siobhán",
        "Niamh",
        "Eilidh",
        "Sophie",
        "Chloë",
        "Mary Ann",
        "Ffion",
    ),
    male_names=(
        "Oliver",
        "Harry",
        "George",
        "Noah",
        "Rhys",
        "Seán",
        "Callum",
        "Dafydd",
        "Mohammed",
        "Alfie",
    ),
    last_names=(
        "Smith",
        "Jones",
        "Taylor",
        "O'Connor",
        "Brown-Wilson",
        "Davies",
        "Evans",
        "MacLeod",
        "ap Rhys",
        "Ó Briain",
        "Patel",
        "Wright",
    ),
)

DE = Country(
    code="de",
    weight=8,
    cells=(("DE", 30), ("DEU", 5), ("Germany", 25), ("Deutschland", 20)),
    calling_code="49",
    phone_plans=(
        "30 #######",
        "30 ########",
        "89 #######",
        "40 ########",
        "221 #######",
        "151 ########",
        "160 #######",
        "170 ########",
    ),
    national_styles=(
        ("0{sp}", 40),
        ("0{g0}/{rest_all}", 15),
        ("(0{g0}) {rest}", 10),
        ("0{g0}-{rest_all}", 10),
    ),
    international_styles=(
        ("+49 {sp}", 35),
        ("+49 (0){sp}", 20),
        ("0049 {sp}", 15),
        ("+49{all}", 10),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="de",
    cities=(
        _one("Berlin", "berlin", "Berlin", "berlin", "10###"),
        _one("München", "munchen", "Bayern", "bayern", "80###"),
        _one("Nürnberg", "nurnberg", "Bayern", "bayern", "90###"),
        _one("Köln", "koln", "Nordrhein-Westfalen", "nordrheinwestfalen", "50###"),
        _one(
            "Düsseldorf",
            "dusseldorf",
            "Nordrhein-Westfalen",
            "nordrheinwestfalen",
            "40###",
        ),
        _one("Hamburg", "hamburg", "Hamburg", "hamburg", "22###"),
        _one("Frankfurt am Main", "frankfurtammain", "Hessen", "hessen", "60###"),
        _one("Dresden", "dresden", "Sachsen", "sachsen", "01###"),
        _one("Leipzig", "leipzig", "Sachsen", "sachsen", "04###"),
        _one(
            "Stuttgart", "stuttgart", "Baden-Württemberg", "badenwurttemberg", "70###"
        ),
    ),
    female_names=(
        "Anna-Lena",
        "Sophie",
        "Hannah",
        "Jördis",
        "Lea",
        "Mia",
        "Käthe",
        "Marie",
        "Anna",
        "Jolanthe",
    ),
    male_names=(
        "Lukas",
        "Jörg",
        "Maximilian",
        "Björn",
        "Jürgen",
        "Felix",
        "Paul",
        "Karl-Heinz",
        "Leon",
        "Dieter",
    ),
    last_names=(
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Schröder",
        "Köhler",
        "von Bülow",
        "Meyer",
        "Wagner",
        "Becker",
        "Schäfer",
        "Zimmermann",
        "Hoffmann",
        "Özdemir",
    ),
)

FR = Country(
    code="fr",
    weight=8,
    cells=(("FR", 35), ("FRA", 5), ("France", 40), ("france", 5)),
    calling_code="33",
    phone_plans=(
        "1 ## ## ## ##",
        "4 7# ## ## ##",
        "6 1# ## ## ##",
        "6 5# ## ## ##",
        "6 7# ## ## ##",
        "7 6# ## ## ##",
        "3 ## ## ## ##",
    ),
    national_styles=(("0{sp}", 50), ("0{all}", 15), ("0{dot}", 10)),
    international_styles=(
        ("+33 {sp}", 40),
        ("+33 (0){sp}", 10),
        ("0033 {sp}", 15),
        ("+33{all}", 10),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="fr",
    cities=(
        _one("Paris", "paris", "Île-de-France", "iledefrance", "750##"),
        _one("Lyon", "lyon", "Auvergne-Rhône-Alpes", "auvergnerhonealpes", "6900#"),
        _one(
            "Saint-Étienne",
            "saintetienne",
            "Auvergne-Rhône-Alpes",
            "auvergnerhonealpes",
            "420##",
        ),
        _one(
            "Marseille",
            "marseille",
            "Provence-Alpes-Côte d'Azur",
            "provencealpescotedazur",
            "130##",
        ),
        _one("Toulouse", "toulouse", "Occitanie", "occitanie", "310##"),
        _one("Nantes", "nantes", "Pays de la Loire", "paysdelaloire", "440##"),
        _one(
            "Besançon",
            "besancon",
            "Bourgogne-Franche-Comté",
            "bourgognefranchecomte",
            "250##",
        ),
        _one("Orléans", "orleans", "Centre-Val de Loire", "centrevaldeloire", "450##"),
    ),
    female_names=(
        "Léa",
        "Chloé",
        "Zoé",
        "Inès",
        "Camille",
        "Hélène",
        "Anaïs",
        "Marie-Thérèse",
        "Noémie",
        "Élodie",
    ),
    male_names=(
        "Jean-Baptiste",
        "François",
        "Noël",
        "Maël",
        "Théo",
        "Hugo",
        "Jérôme",
        "Loïc",
        "Gaëtan",
        "Louis",
    ),
    last_names=(
        "Martin",
        "Bernard",
        "Dubois",
        "Lefèvre",
        "Le Gall",
        "D'Angelo",
        "Moreau",
        "Girard",
        "Rousseau",
        "Bénard",
        "Da Silva",
        "Perrin",
    ),
)

ES = Country(
    code="es",
    weight=6,
    cells=(("ES", 35), ("ESP", 5), ("Spain", 30), ("España", 25)),
    calling_code="34",
    phone_plans=("6## ### ###", "91 ### ## ##", "93 ### ## ##", "95 ### ## ##"),
    national_styles=(("{sp}", 50), ("{all}", 20)),
    international_styles=(("+34 {sp}", 40), ("0034 {sp}", 15), ("+34{all}", 10)),
    postcode_letters="",
    numeric_dates="dmy",
    language="es",
    cities=(
        _one("Madrid", "madrid", "Comunidad de Madrid", "comunidaddemadrid", "280##"),
        _one("Barcelona", "barcelona", "Cataluña", "cataluna", "080##"),
        _one("Sevilla", "sevilla", "Andalucía", "andalucia", "410##"),
        _one("Málaga", "malaga", "Andalucía", "andalucia", "290##"),
        _one("Córdoba", "cordoba", "Andalucía", "andalucia", "140##"),
        _one(
            "Valencia",
            "valencia",
            "Comunitat Valenciana",
            "comunitatvalenciana",
            "460##",
        ),
        _one("A Coruña", "acoruna", "Galicia", "galicia", "150##"),
        _one("Bilbao", "bilbao", "País Vasco", "paisvasco", "480##"),
    ),
    female_names=(
        "María José",
        "Lucía",
        "Sofía",
        "Martina",
        "Núria",
        "Ainhoa",
        "Begoña",
        "Paula",
        "Inés",
        "Rocío",
    ),
    male_names=(
        "José",
        "Jesús",
        "Álvaro",
        "Ángel",
        "Iñaki",
        "Joan",
        "Hugo",
        "Juan Carlos",
        "Sergi",
        "Raúl",
    ),
    last_names=(
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Sánchez",
        "Pérez",
        "Muñoz",
        "Ibáñez",
        "de la Fuente",
        "Martín-Gómez",
        "Castaño",
    ),
)

SE = Country(
    code="se",
    weight=4,
    cells=(("SE", 35), ("SWE", 5), ("Sweden", 30), ("Sverige", 25)),
    calling_code="46",
    phone_plans=(
        "8 ### ### ##",
        "8 ### ## ##",
        "70 ### ## ##",
        "73 ### ## ##",
        "31 ### ## ##",
        "40 ## ## ##",
    ),
    national_styles=(("0{g0}-{rest}", 40), ("0{sp}", 20), ("0{all}", 10)),
    international_styles=(
        ("+46 {sp}", 40),
        ("+46 (0){sp}", 10),
        ("0046 {sp}", 15),
        ("+46{all}", 10),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="en",
    cities=(
        _one("Stockholm", "stockholm", "Stockholms län", "stockholmslan", "11# ##"),
        _one(
            "Göteborg",
            "goteborg",
            "Västra Götalands län",
            "vastragotalandslan",
            "41# ##",
        ),
        _one("Malmö", "malmo", "Skåne län", "skanelan", "21# ##"),
        _one("Uppsala", "uppsala", "Uppsala län", "uppsalalan", "75# ##"),
        _one(
            "Linköping", "linkoping", "Östergötlands län", "ostergotlandslan", "58# ##"
        ),
        _one("Västerås", "vasteras", "Västmanlands län", "vastmanlandslan", "72# ##"),
    ),
    female_names=("Åsa", "Linnéa", "Elsa", "Maja", "Ebba", "Saga", "Märta", "Ingrid"),
    male_names=("Björn", "Göran", "Oscar", "Øyvind", "Ólafur", "Nils", "Åke", "Erik"),
    last_names=(
        "Andersson",
        "Johansson",
        "Karlsson",
        "Nilsson",
        "Eriksson",
        "Lindström",
        "Åberg",
        "Öberg",
        "Sjöberg",
        "Ström",
        "Ek",
    ),
)

BR = Country(
    code="br",
    weight=7,
    cells=(("BR", 35), ("BRA", 5), ("Brazil", 25), ("Brasil", 30)),
    calling_code="55",
    phone_plans=(
        "11 9#### ####",
        "21 9#### ####",
        "31 9#### ####",
        "11 3### ####",
        "51 3### ####",
    ),
    national_styles=(("({g0}) {g1}-{g2}", 50), ("{g0} {g1}-{g2}", 20), ("{all}", 10)),
    international_styles=(
        ("+55 {g0} {g1}-{g2}", 40),
        ("+55 ({g0}) {g1}-{g2}", 20),
        ("0055 {sp}", 10),
        ("+55{all}", 10),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="en",
    cities=(
        City(
            "São Paulo",
            "saopaulo",
            (("SP", "sp"), ("São Paulo", "saopaulo")),
            "01###-###",
        ),
        City(
            "Rio de Janeiro",
            "riodejaneiro",
            (("RJ", "rj"), ("Rio de Janeiro", "riodejaneiro")),
            "20###-###",
        ),
        _one("Niterói", "niteroi", "RJ", "rj", "24###-###"),
        City(
            "Belo Horizonte",
            "belohorizonte",
            (("MG", "mg"), ("Minas Gerais", "minasgerais")),
            "30###-###",
        ),
        _one("Brasília", "brasilia", "DF", "df", "70###-###"),
        _one("Salvador", "salvador", "BA", "ba", "40###-###"),
        City(
            "Florianópolis",
            "florianopolis",
            (("SC", "sc"), ("Santa Catarina", "santacatarina")),
            "88###-###",
        ),
        _one("Goiânia", "goiania", "Goiás", "goias", "74###-###"),
        _one("Porto Alegre", "portoalegre", "RS", "rs", "90###-###"),
    ),
    female_names=(
        "Ana",
        "Maria Eduarda",
        "Júlia",
        "Beatriz",
        "Conceição",
        "Letícia",
        "Luíza",
        "Lívia",
    ),
    male_names=(
        "João",
        "José",
        "Gabriel",
        "Luís",
        "Antônio",
        "Thiago",
        "Caio",
        "João Pedro",
    ),
    last_names=(
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Pereira",
        "Lima",
        "Gonçalves",
        "Araújo",
        "da Silva",
        "dos Santos",
        "Magalhães",
    ),
)

JP = Country(
    code="jp",
    weight=5,
    cells=(("JP", 40), ("JPN", 10), ("Japan", 40)),
    calling_code="81",
    phone_plans=(
        "3 N### ####",
        "6 #### ####",
        "45 ### ####",
        "90 1### ####",
        "80 1### ####",
        "70 1### ####",
    ),
    national_styles=(("0{dash}", 60), ("0{all}", 15), ("(0{g0}) {g1}-{g2}", 5)),
    international_styles=(
        ("+81 {dash}", 30),
        ("+81 {sp}", 30),
        ("0081 {sp}", 10),
        ("+81 (0){sp}", 3),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="en",
    cities=(
        _one("Tokyo", "tokyo", "Tokyo", "tokyo", "1##-####"),
        _one("Osaka", "osaka", "Osaka", "osaka", "53#-####"),
        _one("Yokohama", "yokohama", "Kanagawa", "kanagawa", "22#-####"),
        _one("Sapporo", "sapporo", "Hokkaido", "hokkaido", "06#-####"),
        _one("Kyoto", "kyoto", "Kyoto", "kyoto", "60#-####"),
        _one("Kōbe", "kobe", "Hyōgo", "hyogo", "65#-####"),
        _one("Nagoya", "nagoya", "Aichi", "aichi", "45#-####"),
    ),
    female_names=("Yui", "Hina", "Sakura", "Yūko", "結衣", "花子", "さくら"),
    male_names=("Haruto", "Yuto", "Sota", "Kenta", "陽翔", "太郎", "翔太"),
    last_names=(
        "Yamada",
        "Satō",
        "Suzuki",
        "Takahashi",
        "山田",
        "佐藤",
        "鈴木",
        "高橋",
    ),
)

IN = Country(
    code="in",
    weight=7,
    cells=(("IN", 40), ("IND", 10), ("India", 45)),
    calling_code="91",
    phone_plans=(
        "98### #####",
        "70### #####",
        "80### #####",
        "11 2### ####",
        "22 6### ####",
    ),
    national_styles=(
        ("{sp}", 40),
        ("0{sp}", 20),
        ("{all}", 20),
        ("0{g0}-{rest_all}", 10),
    ),
    international_styles=(
        ("+91 {sp}", 40),
        ("+91-{all}", 20),
        ("+91{all}", 10),
        ("0091 {sp}", 10),
    ),
    postcode_letters="",
    numeric_dates="dmy",
    language="en",
    cities=(
        _one("New Delhi", "newdelhi", "Delhi", "delhi", "110###"),
        _one("Mumbai", "mumbai", "Maharashtra", "maharashtra", "400###"),
        _one("Pune", "pune", "Maharashtra", "maharashtra", "411###"),
        _one("Bengaluru", "bengaluru", "Karnataka", "karnataka", "560###"),
        _one("Chennai", "chennai", "Tamil Nadu", "tamilnadu", "600###"),
        _one("Kolkata", "kolkata", "West Bengal", "westbengal", "700###"),
        _one("Hyderabad", "hyderabad", "Telangana", "telangana", "500###"),
    ),
    female_names=("Priya", "Ananya", "Lakshmi", "Aishwarya", "Divya", "प्रिया"),
    male_names=("Aarav", "Rahul", "Vikram", "Sai Kiran", "Arjun", "राहुल"),
    last_names=(
        "Sharma",
        "Patel",
        "Singh",
        "Kumar",
        "Iyer",
        "Reddy",
        "Nair",
        "Das-Gupta",
        "शर्मा",
    ),
)

CA = Country(
    code="ca",
    weight=5,
    cells=(("CA", 40), ("CAN", 10), ("Canada", 45)),
    calling_code="1",
    phone_plans=(
        "416 N## ####",
        "604 N## ####",
        "514 N## ####",
        "403 N## ####",
        "613 N## ####",
    ),
    national_styles=NANP_NATIONAL,
    international_styles=NANP_INTERNATIONAL,
    postcode_letters=CA_POSTCODE_LETTERS,
    numeric_dates="dmy",
    language="fr",
    cities=(
        City("Toronto", "toronto", (("ON", "on"), ("Ontario", "ontario")), "M#@ #@#"),
        City("Ottawa", "ottawa", (("ON", "on"), ("Ontario", "ontario")), "K#@ #@#"),
        City("Montréal", "montreal", (("QC", "qc"), ("Québec", "quebec")), "H#@ #@#"),
        City("Québec", "quebec", (("QC", "qc"), ("Québec", "quebec")), "G#@ #@#"),
        City(
            "Vancouver",
            "vancouver",
            (("BC", "bc"), ("British Columbia", "britishcolumbia")),
            "V#@ #@#",
        ),
        City("Calgary", "calgary", (("AB", "ab"), ("Alberta", "alberta")), "T#@ #@#"),
    ),
    female_names=("Olivia", "Émilie", "Geneviève", "Chloé", "Charlotte", "Maëlle"),
    male_names=("Liam", "Noah", "Jean-François", "Étienne", "Benjamin", "Félix"),
    last_names=(
        "Tremblay",
        "Gagnon",
        "Roy",
        "Côté",
        "Bouchard",
        "Smith",
        "MacDonald",
        "Wong",
        "Singh",
        "Lévesque",
    ),
)

MX = Country(
    code="mx",
    weight=5,
    cells=(("MX", 35), ("MEX", 5), ("Mexico", 30), ("México", 25)),
    calling_code="52",
    phone_plans=("55 #### ####", "33 #### ####", "81 #### ####", "222 ### ####"),
    national_styles=(("{sp}", 50), ("({g0}) {g1} {g2}", 15), ("{all}", 20)),
    international_styles=(("+52 {sp}", 40), ("+52{all}", 20), ("0052 {sp}", 10)),
    postcode_letters="",
    numeric_dates="dmy",
    language="es",
    cities=(
        City(
            "Ciudad de México",
            "ciudaddemexico",
            (("CDMX", "cdmx"), ("Ciudad de México", "ciudaddemexico")),
            "06###",
        ),
        _one("Guadalajara", "guadalajara", "Jalisco", "jalisco", "44###"),
        _one("Monterrey", "monterrey", "Nuevo León", "nuevoleon", "64###"),
        _one("Puebla", "puebla", "Puebla", "puebla", "72###"),
        _one("Mérida", "merida", "Yucatán", "yucatan", "97###"),
        _one("Cancún", "cancun", "Quintana Roo", "quintanaroo", "77###"),
        _one("Querétaro", "queretaro", "Querétaro", "queretaro", "76###"),
    ),
    female_names=(
        "Ximena",
        "Guadalupe",
        "María Fernanda",
        "Sofía",
        "Valentina",
        "Itzel",
    ),
    male_names=("José Luis", "Juan", "Andrés", "Santiago", "Emiliano", "Ángel"),
    last_names=(
        "Hernández",
        "García",
        "Martínez",
        "López",
        "González",
        "Pérez",
        "Ramírez",
        "Cruz",
        "Núñez",
        "de la Peña",
    ),
)

COUNTRIES = (US, GB, DE, FR, ES, SE, BR, JP, IN, CA, MX)

# Names from outside each market's usual set: customers of any country can carry them.
DIASPORA_FEMALE = ("Мария", "Zoë", "芳", "Ólöf", "Małgorzata", "Ngọc Anh")
DIASPORA_MALE = ("Иван", "Øyvind", "伟", "Ólafur", "Łukasz", "محمد")
DIASPORA_LAST = (
    "李",
    "王",
    "张",
    "Петрова",
    "Иванов",
    "Nguyễn",
    "Kowalski",
    "Wójcik",
    "Þórsdóttir",
    "Ødegård",
)

# How people with these names usually spell them in an email address.
ROMANIZED = {
    "Мария": "maria",
    "Иван": "ivan",
    "Петрова": "petrova",
    "Иванов": "ivanov",
    "李": "li",
    "王": "wang",
    "张": "zhang",
    "伟": "wei",
    "芳": "fang",
    "محمد": "mohammed",
    "結衣": "yui",
    "花子": "hanako",
    "さくら": "sakura",
    "陽翔": "haruto",
    "太郎": "taro",
    "翔太": "shota",
    "山田": "yamada",
    "佐藤": "sato",
    "鈴木": "suzuki",
    "高橋": "takahashi",
    "प्रिया": "priya",
    "राहुल": "rahul",
    "शर्मा": "sharma",
}

# Letters that Unicode decomposition leaves whole, spelled the way email users do.
ASCII_LETTERS = {"ø": "o", "æ": "ae", "ł": "l", "þ": "th", "ð": "d", "đ": "d"}

# Gender cells: English everywhere, plus the market's own words where it has some.
# Which words count is the project's reading of Meta's GEN key (graph-api.md):
# English, German, French and Spanish words for male and female.
MALE_WORDS = {
    "en": (("M", 30), ("m", 10), ("Male", 25), ("male", 6), ("MALE", 5)),
    "de": (("männlich", 20), ("Männlich", 5)),
    "fr": (("homme", 10), ("Homme", 8), ("masculin", 5), ("HOMME", 2)),
    "es": (("hombre", 10), ("Hombre", 5), ("Masculino", 8), ("MASCULINO", 2)),
}
FEMALE_WORDS = {
    "en": (("F", 30), ("f", 10), ("Female", 25), ("female", 6), ("FEMALE", 5)),
    "de": (("weiblich", 20), ("Weiblich", 5)),
    "fr": (("femme", 8), ("Femme", 10), ("féminin", 4), ("FÉMININ", 3)),
    "es": (("mujer", 10), ("Mujer", 5), ("Femenino", 8), ("femenino", 2)),
}
OTHER_WORDS = (
    ("", 40),
    ("Unknown", 15),
    ("X", 10),
    ("U", 5),
    ("Other", 5),
    ("prefer not to say", 3),
    ("n/a", 2),
    ("divers", 2),
)

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

EMAIL_DOMAINS = (
    ("example.com", 30),
    ("example.org", 15),
    ("example.net", 15),
    ("mail.example", 10),
    ("post.example", 8),
    ("inbox.example", 5),
    ("corp.example.com", 5),
)
EMAIL_TAGS = ("promo", "news", "shop", "2024")

# Cells that some exports put where a phone number is missing.
PHONE_PLACEHOLDERS = ("+0000000000", "N/A", "none", "-", "unknown")
# Written without an @ by a typo or an export that dropped it.
EMAIL_BREAKS = (" at ", ".", " ", "")

EXTENSIONS = ((" ext. {}", 40), (" x{}", 30), (" ext {}", 20), (" #{}", 10))

LOYALTY_TIERS = (
    ("", 40),
    ("Bronze", 25),
    ("Silver", 18),
    ("Gold", 10),
    ("Platinum", 4),
    ("gold ", 2),
    ("SILVER", 1),
)

NOTES = (
    ("", 700),
    ("VIP", 30),
    ('Prefers "express" delivery', 25),
    ("Call after 5pm, not on weekends", 25),
    ("Moved from Berlin,\nnew address pending", 20),
    ('Said: "please don\'t email"', 15),
    ("Returned item #4471, refund issued", 20),
    ("Line one\nline two\nline three", 10),
    ("Fragile; ring twice", 10),
    ('Gift wrap, card says "Happy 40th, Sam!"', 10),
    ("Imported from store POS\r\nby nightly sync", 5),
    ("Tab\tinside", 5),
    ("Unsubscribed 2023-04-01", 15),
)
